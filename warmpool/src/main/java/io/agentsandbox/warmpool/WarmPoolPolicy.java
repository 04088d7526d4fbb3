package io.agentsandbox.warmpool;

import java.util.concurrent.TimeUnit;

/**
 * Scheduler-wide knobs of every pool. Immutable.
 *
 * @param readinessGraceNs a member not ready this long after its creation is deleted and replaced
 *     (upstream's {@code --sandbox-warm-pool-readiness-grace-period}, 5 min)
 * @param maxStarting most sandboxes one pool may have starting at once
 * @param maxClaimsPerTenant default cap on one tenant's concurrent claims (bound or waiting) per
 *     pool, when the pool does not set its own
 * @param emptyRetryAfterMs {@code Retry-After} hint when a claim is turned away from an empty pool
 * @param createBackoffBaseNs first delay after a failed create; doubles per consecutive failure
 * @param createBackoffMaxNs cap of that delay
 */
public record WarmPoolPolicy(
    long readinessGraceNs,
    int maxStarting,
    int maxClaimsPerTenant,
    long emptyRetryAfterMs,
    long createBackoffBaseNs,
    long createBackoffMaxNs) {

  /** Upstream-like defaults. */
  public static final WarmPoolPolicy DEFAULTS =
      new WarmPoolPolicy(
          TimeUnit.MINUTES.toNanos(5),
          512,
          1_000,
          1_000,
          TimeUnit.MILLISECONDS.toNanos(100),
          TimeUnit.SECONDS.toNanos(30));

  public WarmPoolPolicy {
    if (readinessGraceNs <= 0) throw new IllegalArgumentException("readinessGraceNs must be > 0: " + readinessGraceNs);
    if (maxStarting < 1) throw new IllegalArgumentException("maxStarting must be > 0: " + maxStarting);
    if (maxClaimsPerTenant < 1) {
      throw new IllegalArgumentException("maxClaimsPerTenant must be > 0: " + maxClaimsPerTenant);
    }
    if (emptyRetryAfterMs < 0) throw new IllegalArgumentException("emptyRetryAfterMs must be >= 0: " + emptyRetryAfterMs);
    if (createBackoffBaseNs <= 0 || createBackoffMaxNs < createBackoffBaseNs) {
      throw new IllegalArgumentException(
          "need 0 < createBackoffBaseNs <= createBackoffMaxNs: " + createBackoffBaseNs + ", " + createBackoffMaxNs);
    }
  }

  public WarmPoolPolicy withReadinessGraceNs(long ns) {
    return new WarmPoolPolicy(ns, maxStarting, maxClaimsPerTenant, emptyRetryAfterMs, createBackoffBaseNs, createBackoffMaxNs);
  }

  public WarmPoolPolicy withMaxStarting(int n) {
    return new WarmPoolPolicy(readinessGraceNs, n, maxClaimsPerTenant, emptyRetryAfterMs, createBackoffBaseNs, createBackoffMaxNs);
  }

  public WarmPoolPolicy withMaxClaimsPerTenant(int n) {
    return new WarmPoolPolicy(readinessGraceNs, maxStarting, n, emptyRetryAfterMs, createBackoffBaseNs, createBackoffMaxNs);
  }
}
