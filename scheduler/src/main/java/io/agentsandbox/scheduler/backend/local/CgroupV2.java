package io.agentsandbox.scheduler.backend.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * cgroup v2: one unified hierarchy; each sandbox's group is {@code agent-sandbox/<name>}, with the
 * controllers enabled in the parent's {@code cgroup.subtree_control}. Swap is off ({@code
 * memory.swap.max} 0). Stateless; any worker thread.
 */
final class CgroupV2 extends CgroupDriver {

  private final Path root;
  private final Set<Controller> controllers;

  /**
   * @param root the mount point of the unified hierarchy
   * @param controllers the controllers it offers that this driver may use
   */
  CgroupV2(Path root, Set<Controller> controllers) {
    this.root = root;
    this.controllers = controllers.isEmpty() ? Set.of() : EnumSet.copyOf(controllers);
  }

  @Override
  String version() {
    return "v2";
  }

  @Override
  Set<Controller> controllers() {
    return controllers;
  }

  /** The {@code +memory +cpu +pids} line for {@code cgroup.subtree_control}. */
  String subtreeControl() {
    StringBuilder sb = new StringBuilder();
    for (Controller c : controllers) {
      if (sb.length() > 0) sb.append(' ');
      sb.append('+').append(c.name().toLowerCase(java.util.Locale.ROOT));
    }
    return sb.toString();
  }

  @Override
  List<Path> create(String name, SandboxLimits limits) throws IOException {
    remove(name);
    Path parent = root.resolve(PARENT);
    Files.createDirectories(parent);
    if (!controllers.isEmpty()) {
      write(root.resolve("cgroup.subtree_control"), subtreeControl());
      write(parent.resolve("cgroup.subtree_control"), subtreeControl());
    }
    Path dir = parent.resolve(name);
    Files.createDirectories(dir);
    if (controllers.contains(Controller.MEMORY) && limits.memoryBytes() > 0) {
      write(dir.resolve("memory.max"), Long.toString(limits.memoryBytes()));
      Path swap = dir.resolve("memory.swap.max");
      if (Files.exists(swap)) write(swap, "0");
    }
    if (controllers.contains(Controller.CPU) && limits.cpuQuotaUs() > 0) {
      write(dir.resolve("cpu.max"), limits.cpuQuotaUs() + " " + SandboxLimits.CPU_PERIOD_US);
    }
    if (controllers.contains(Controller.PIDS)) {
      write(dir.resolve("pids.max"), Long.toString(limits.pids()));
    }
    return procsFiles(name);
  }

  @Override
  List<Path> procsFiles(String name) {
    return List.of(root.resolve(PARENT).resolve(name).resolve("cgroup.procs"));
  }

  @Override
  long oomKills(String name) {
    return keyed(root.resolve(PARENT).resolve(name).resolve("memory.events"), "oom_kill");
  }

  @Override
  long memoryUsage(String name) {
    return number(root.resolve(PARENT).resolve(name).resolve("memory.current"));
  }

  @Override
  List<Path> dirs(String name) {
    return List.of(root.resolve(PARENT).resolve(name));
  }
}
