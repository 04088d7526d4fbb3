package io.agentsandbox.scheduler.backend.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * cgroup v1: one hierarchy per controller ({@code memory}, {@code cpu}, {@code pids}), each with
 * its own {@code agent-sandbox/<name>} group. Swap is off by setting {@code memory.memsw} to the
 * memory limit (when the kernel accounts swap) and {@code memory.swappiness} to 0. Stateless; any
 * worker thread.
 */
final class CgroupV1 extends CgroupDriver {

  private final Map<Controller, Path> mounts;

  /**
   * @param mounts where each usable controller's hierarchy is mounted
   */
  CgroupV1(Map<Controller, Path> mounts) {
    this.mounts = Map.copyOf(mounts);
  }

  @Override
  String version() {
    return "v1";
  }

  @Override
  Set<Controller> controllers() {
    return mounts.isEmpty() ? Set.of() : EnumSet.copyOf(mounts.keySet());
  }

  @Override
  List<Path> create(String name, SandboxLimits limits) throws IOException {
    remove(name);
    for (Path dir : dirs(name)) Files.createDirectories(dir);
    Path memory = dir(Controller.MEMORY, name);
    if (memory != null && limits.memoryBytes() > 0) {
      String bytes = Long.toString(limits.memoryBytes());
      write(memory.resolve("memory.limit_in_bytes"), bytes);
      Path memsw = memory.resolve("memory.memsw.limit_in_bytes");
      if (Files.exists(memsw)) write(memsw, bytes);
      Path swappiness = memory.resolve("memory.swappiness");
      if (Files.exists(swappiness)) write(swappiness, "0");
    }
    Path cpu = dir(Controller.CPU, name);
    if (cpu != null && limits.cpuQuotaUs() > 0) {
      write(cpu.resolve("cpu.cfs_period_us"), Long.toString(SandboxLimits.CPU_PERIOD_US));
      write(cpu.resolve("cpu.cfs_quota_us"), Long.toString(limits.cpuQuotaUs()));
    }
    Path pids = dir(Controller.PIDS, name);
    if (pids != null) write(pids.resolve("pids.max"), Long.toString(limits.pids()));
    return procsFiles(name);
  }

  @Override
  List<Path> procsFiles(String name) {
    return dirs(name).stream().map(d -> d.resolve("cgroup.procs")).toList();
  }

  @Override
  long oomKills(String name) {
    Path memory = dir(Controller.MEMORY, name);
    return memory == null ? 0 : keyed(memory.resolve("memory.oom_control"), "oom_kill");
  }

  @Override
  long memoryUsage(String name) {
    Path memory = dir(Controller.MEMORY, name);
    return memory == null ? -1 : number(memory.resolve("memory.usage_in_bytes"));
  }

  @Override
  List<Path> dirs(String name) {
    List<Path> out = new ArrayList<>();
    for (Controller c : Controller.values()) {
      Path d = dir(c, name);
      if (d != null) out.add(d);
    }
    return out;
  }

  private Path dir(Controller c, String name) {
    Path mount = mounts.get(c);
    return mount == null ? null : mount.resolve(PARENT).resolve(name);
  }
}
