package io.agentsandbox.scheduler.backend.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Host processes by PID and start time (PIDs are reused). Stateless; any worker thread. */
final class Procs {
  private Procs() {}

  /** Start time of a process in clock ticks since boot (field 22 of /proc/pid/stat), 0 if gone. */
  static long startTimeOf(long pid) {
    try {
      return parseStartTime(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /** Field 22 of a {@code /proc/<pid>/stat} line (the command name may hold spaces and parens). */
  static long parseStartTime(String stat) {
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[19]);
  }

  /** True when {@code pid} is still the process that had {@code startTime}. */
  static boolean isSame(long pid, long startTime) {
    return pid > 1 && startTime > 0 && startTimeOf(pid) == startTime;
  }

  /**
   * SIGKILLs a process and its descendants, only if it is still the process started (same start
   * time), and waits up to 5 s for it. Blocking.
   */
  static void killIfSame(long pid, long startTime) {
    if (!isSame(pid, startTime)) return;
    ProcessHandle.of(pid)
        .ifPresent(
            h -> {
              h.descendants().forEach(ProcessHandle::destroyForcibly);
              h.destroyForcibly();
              try {
                h.onExit().get(5, TimeUnit.SECONDS);
              } catch (Exception e) {
                // gone or stuck; the directory is removed regardless
              }
            });
  }
}
