package io.agentsandbox.scheduler.backend.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The cgroup of each local sandbox: created with the sandbox's limits before its first process,
 * joined by every process the backend starts for it (the runtime, and bubblewrap execs), read for
 * OOM kills, removed with the sandbox. Children inherit the group, so for gVisor the sentry, the
 * gofer and everything they start are in it. Stateless apart from the driver; any worker thread.
 */
final class SandboxCgroup {

  /** Exit status of the join wrapper when it cannot enter the group (never that of a command). */
  static final int JOIN_FAILED = 126;

  private final CgroupDriver driver;
  private final long defaultMemoryBytes;
  private final long defaultPids;

  SandboxCgroup(CgroupDriver driver, long defaultMemoryBytes, long defaultPids) {
    this.driver = driver;
    this.defaultMemoryBytes = defaultMemoryBytes;
    this.defaultPids = defaultPids;
  }

  /** The limits a sandbox started as {@code spec} gets. */
  SandboxLimits limitsOf(long memoryBytes, long cpuMillis) {
    return SandboxLimits.of(memoryBytes, cpuMillis, defaultMemoryBytes, defaultPids);
  }

  CgroupDriver driver() {
    return driver;
  }

  /** The limits this host cannot enforce (empty when all are). */
  Set<CgroupDriver.Controller> unenforced() {
    Set<CgroupDriver.Controller> out = EnumSet.allOf(CgroupDriver.Controller.class);
    out.removeAll(driver.controllers());
    return out;
  }

  /** One line for the start-up log and the pools' condition. */
  String describe() {
    Set<CgroupDriver.Controller> missing = unenforced();
    String base =
        "sandbox limits: cgroup "
            + driver.version()
            + ", enforced "
            + (driver.controllers().isEmpty() ? "none" : driver.controllers())
            + ", default memory "
            + (defaultMemoryBytes > 0 ? defaultMemoryBytes + " bytes" : "none")
            + ", default pids "
            + defaultPids;
    return missing.isEmpty() ? base : base + "; NOT enforced here: " + missing;
  }

  /**
   * Creates the group of sandbox {@code id}. Blocking.
   *
   * @return the files to join it through
   */
  List<Path> create(String id, SandboxLimits limits) throws IOException {
    return driver.create(id, limits);
  }

  /** Kills what is left in the group of sandbox {@code id} and removes it. Blocking. */
  void remove(String id) {
    driver.remove(id);
  }

  long oomKills(String id) {
    return driver.oomKills(id);
  }

  /** {@code argv}, run so that it first joins the group of sandbox {@code id}. */
  List<String> join(String id, List<String> argv) {
    return joinArgv(driver.procsFiles(id), argv);
  }

  /**
   * A shell that writes its PID into each of {@code procsFiles} (failing with {@link #JOIN_FAILED}
   * when it cannot), then becomes {@code argv}. Pure.
   */
  static List<String> joinArgv(List<Path> procsFiles, List<String> argv) {
    if (procsFiles.isEmpty()) return List.copyOf(argv);
    List<String> cmd = new ArrayList<>();
    cmd.add("/bin/sh");
    cmd.add("-c");
    cmd.add(
        "n=$0; while [ \"$n\" -gt 0 ]; do echo $$ >\"$1\" || exit "
            + JOIN_FAILED
            + "; shift; n=$((n-1)); done; exec \"$@\"");
    cmd.add(Integer.toString(procsFiles.size()));
    for (Path p : procsFiles) cmd.add(p.toString());
    cmd.addAll(argv);
    return cmd;
  }

  /**
   * Finds the usable cgroup hierarchy from {@code /proc/self/mounts}: v2 when its root offers the
   * memory controller, else the v1 hierarchies of memory, cpu and pids; a controller counts only
   * when its {@link CgroupDriver#PARENT} group can be created (root, not locked down). Blocking.
   */
  static CgroupDriver detect(Path mountsFile) {
    List<String> lines;
    try {
      lines = Files.readAllLines(mountsFile);
    } catch (IOException e) {
      return new CgroupDriver.None();
    }
    Map<CgroupDriver.Controller, Path> v1 = new EnumMap<>(CgroupDriver.Controller.class);
    Path v2 = null;
    for (String line : lines) {
      String[] f = line.split(" ");
      if (f.length < 4) continue;
      Path mount = Path.of(f[1]);
      if (f[2].equals("cgroup2")) {
        v2 = mount;
      } else if (f[2].equals("cgroup")) {
        Set<String> opts = Set.of(f[3].split(","));
        for (CgroupDriver.Controller c : CgroupDriver.Controller.values()) {
          if (opts.contains(c.name().toLowerCase(java.util.Locale.ROOT))) v1.put(c, mount);
        }
      }
    }
    if (v2 != null) {
      Set<CgroupDriver.Controller> offered = v2Controllers(v2);
      if (offered.contains(CgroupDriver.Controller.MEMORY) && creatable(v2)) {
        return new CgroupV2(v2, offered);
      }
    }
    v1.values().removeIf(m -> !creatable(m));
    return v1.isEmpty() ? new CgroupDriver.None() : new CgroupV1(v1);
  }

  private static Set<CgroupDriver.Controller> v2Controllers(Path root) {
    Set<CgroupDriver.Controller> out = EnumSet.noneOf(CgroupDriver.Controller.class);
    try {
      Set<String> names =
          Set.of(Files.readString(root.resolve("cgroup.controllers")).split("\\s+"));
      for (CgroupDriver.Controller c : CgroupDriver.Controller.values()) {
        if (names.contains(c.name().toLowerCase(java.util.Locale.ROOT))) out.add(c);
      }
    } catch (IOException e) {
      // none
    }
    return out;
  }

  private static boolean creatable(Path mount) {
    try {
      Files.createDirectories(mount.resolve(CgroupDriver.PARENT));
      return Files.isWritable(mount.resolve(CgroupDriver.PARENT).resolve("cgroup.procs"));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
