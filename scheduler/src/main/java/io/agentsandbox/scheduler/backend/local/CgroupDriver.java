package io.agentsandbox.scheduler.backend.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one cgroup hierarchy (v1 or v2) under a root directory: a group per sandbox below {@link
 * #PARENT}, its limits, and what the kernel says about it. Works on any directory tree, so tests
 * run it against a fake one. Stateless apart from its paths; any worker thread.
 */
abstract class CgroupDriver {

  /** The group every sandbox's group is created in. */
  static final String PARENT = "agent-sandbox";

  /** A limit a driver may be unable to enforce. */
  enum Controller {
    MEMORY,
    CPU,
    PIDS
  }

  private static final Logger LOG = LoggerFactory.getLogger(CgroupDriver.class);

  /** "v1", "v2" or "none". */
  abstract String version();

  /** The limits this driver enforces. */
  abstract Set<Controller> controllers();

  /**
   * Creates the group {@code name} with {@code limits} (replacing a leftover of that name).
   * Blocking (file system).
   *
   * @return the {@code cgroup.procs} files a process writes its PID to in order to join it
   */
  abstract List<Path> create(String name, SandboxLimits limits) throws IOException;

  /** The {@code cgroup.procs} files of group {@code name} (it may not exist). */
  abstract List<Path> procsFiles(String name);

  /** How many processes of group {@code name} the kernel killed for memory so far; 0 if unknown. */
  abstract long oomKills(String name);

  /** Bytes of memory group {@code name} uses now (page cache and tmpfs included); -1 if unknown. */
  abstract long memoryUsage(String name);

  /** The directories of group {@code name}, leaf last per hierarchy. */
  abstract List<Path> dirs(String name);

  /**
   * Kills every process left in group {@code name} and removes it. Idempotent; blocking (waits up
   * to about 2 s for the processes to go).
   */
  final void remove(String name) {
    List<Path> dirs = dirs(name);
    for (int attempt = 0; attempt < 40; attempt++) {
      boolean left = false;
      for (Path dir : dirs) {
        if (!Files.isDirectory(dir)) continue;
        for (long pid : pids(dir.resolve("cgroup.procs"))) {
          ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        try {
          Files.delete(dir);
        } catch (IOException e) {
          left = true;
        }
      }
      if (!left) return;
      // The kernel takes killed processes out of the group asynchronously.
      LockSupport.parkNanos(50_000_000L);
    }
    LOG.warn("cgroup {} of {} could not be removed; still in {}", version(), name, dirs);
  }

  static List<Long> pids(Path procs) {
    List<Long> out = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(procs)) {
        if (!line.isBlank()) out.add(Long.parseLong(line.trim()));
      }
    } catch (IOException | NumberFormatException e) {
      // gone
    }
    return out;
  }

  /** Value of {@code key} in a flat-keyed file ({@code key value} lines), or 0. */
  static long keyed(Path file, String key) {
    try {
      for (String line : Files.readAllLines(file)) {
        String[] kv = line.trim().split("\\s+");
        if (kv.length == 2 && kv[0].equals(key)) return Long.parseLong(kv[1]);
      }
    } catch (IOException | NumberFormatException e) {
      // unknown
    }
    return 0;
  }

  static long number(Path file) {
    try {
      return Long.parseLong(Files.readString(file).trim());
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }

  static void write(Path file, String value) throws IOException {
    Files.writeString(file, value);
  }

  /** Enforces nothing: the host has no usable cgroup controller. */
  static final class None extends CgroupDriver {
    @Override
    String version() {
      return "none";
    }

    @Override
    Set<Controller> controllers() {
      return Set.of();
    }

    @Override
    List<Path> create(String name, SandboxLimits limits) {
      return List.of();
    }

    @Override
    List<Path> procsFiles(String name) {
      return List.of();
    }

    @Override
    long oomKills(String name) {
      return 0;
    }

    @Override
    long memoryUsage(String name) {
      return -1;
    }

    @Override
    List<Path> dirs(String name) {
      return List.of();
    }
  }
}
