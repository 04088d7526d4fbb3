package io.agentsandbox.scheduler.backend.local;

/**
 * The limits one local sandbox runs under, resolved from its template and the server's defaults.
 * Pure; immutable.
 *
 * @param memoryBytes memory limit, swap included (swap is off); 0 when none
 * @param cpuMillis CPU quota in millicores; 0 when none
 * @param pids most processes (and threads) at once
 * @param tmpBytes size of the sandbox's {@code /tmp} tmpfs (counted in the memory limit)
 */
record SandboxLimits(long memoryBytes, long cpuMillis, long pids, long tmpBytes) {

  /** The scheduling period of the CPU quota, in microseconds. */
  static final long CPU_PERIOD_US = 100_000;

  /** Processes per sandbox when the pool does not say. */
  static final long DEFAULT_PIDS = 1_024;

  /** {@code /tmp} of a sandbox without a memory limit. */
  static final long UNLIMITED_TMP_BYTES = 1L << 30;

  /**
   * @param templateMemoryBytes the template's {@code limits.memory}, 0 when unset
   * @param templateCpuMillis the template's {@code limits.cpu}, 0 when unset
   * @param defaultMemoryBytes the server's default memory limit, 0 for none
   * @param pids the pool's process limit (the server's default when unset)
   */
  static SandboxLimits of(
      long templateMemoryBytes, long templateCpuMillis, long defaultMemoryBytes, long pids) {
    long memory = templateMemoryBytes > 0 ? templateMemoryBytes : Math.max(0, defaultMemoryBytes);
    return new SandboxLimits(
        memory, Math.max(0, templateCpuMillis), pids > 0 ? pids : DEFAULT_PIDS, tmpBytesOf(memory));
  }

  /** Half the memory limit (at least 16 MiB), or 1 GiB without one. */
  static long tmpBytesOf(long memoryBytes) {
    return memoryBytes > 0 ? Math.max(16L << 20, memoryBytes / 2) : UNLIMITED_TMP_BYTES;
  }

  /**
   * Least {@code pids.max} of a gVisor sandbox's group. There it counts the sentry's and gofer's
   * host threads, not the sandbox's processes: below this, a few hundred tasks inside make the
   * sentry fail to start a thread and the whole sandbox dies.
   */
  static final long GVISOR_MIN_HOST_THREADS = 4_096;

  /** The same limits with at least {@code min} processes. */
  SandboxLimits withPidsAtLeast(long min) {
    return new SandboxLimits(memoryBytes, cpuMillis, Math.max(pids, min), tmpBytes);
  }

  /** The CFS quota per {@link #CPU_PERIOD_US}, or -1 (none). */
  long cpuQuotaUs() {
    return cpuMillis > 0 ? Math.max(1_000, cpuMillis * CPU_PERIOD_US / 1_000) : -1;
  }
}
