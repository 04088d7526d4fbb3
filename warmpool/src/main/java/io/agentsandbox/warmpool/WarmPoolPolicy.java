package io.agentsandbox.warmpool;

import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

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
 * @param maxAdmittedWaitNs admission bound for claims that wait on an empty pool: a claim is let
 *     wait only while the claims already waiting fit in the pool's starting members plus what it
 *     can create in this time (its creation throughput, from the creation gate, the pool's {@code
 *     maxStarting} and the learned lead time); otherwise it is answered {@code OVERLOADED} at once.
 *     An admitted claim so waits about one lead time plus at most this long. 0 turns the estimate
 *     off (only the hard cap below applies)
 * @param maxWaitingPerPool hard cap on claims waiting in one pool (warm waits and cold starts)
 */
public record WarmPoolPolicy(
    long readinessGraceNs,
    int maxStarting,
    int maxClaimsPerTenant,
    long emptyRetryAfterMs,
    long createBackoffBaseNs,
    long createBackoffMaxNs,
    long maxAdmittedWaitNs,
    int maxWaitingPerPool) {

  /** Admission bound of {@link #DEFAULTS}: 2 s beyond one lead time. */
  public static final long DEFAULT_MAX_ADMITTED_WAIT_MS = 2_000;

  /** Waiting-claim cap of {@link #DEFAULTS}, per pool. */
  public static final int DEFAULT_MAX_WAITING_PER_POOL = 10_000;

  /** Upstream-like defaults. */
  public static final WarmPoolPolicy DEFAULTS =
      new WarmPoolPolicy(
          TimeUnit.MINUTES.toNanos(5),
          512,
          1_000,
          1_000,
          TimeUnit.MILLISECONDS.toNanos(100),
          TimeUnit.SECONDS.toNanos(30),
          TimeUnit.MILLISECONDS.toNanos(DEFAULT_MAX_ADMITTED_WAIT_MS),
          DEFAULT_MAX_WAITING_PER_POOL);

  public WarmPoolPolicy {
    if (readinessGraceNs <= 0)
      throw new IllegalArgumentException("readinessGraceNs must be > 0: " + readinessGraceNs);
    if (maxStarting < 1)
      throw new IllegalArgumentException("maxStarting must be > 0: " + maxStarting);
    if (maxClaimsPerTenant < 1) {
      throw new IllegalArgumentException("maxClaimsPerTenant must be > 0: " + maxClaimsPerTenant);
    }
    if (emptyRetryAfterMs < 0)
      throw new IllegalArgumentException("emptyRetryAfterMs must be >= 0: " + emptyRetryAfterMs);
    if (createBackoffBaseNs <= 0 || createBackoffMaxNs < createBackoffBaseNs) {
      throw new IllegalArgumentException(
          "need 0 < createBackoffBaseNs <= createBackoffMaxNs: "
              + createBackoffBaseNs
              + ", "
              + createBackoffMaxNs);
    }
    if (maxAdmittedWaitNs < 0)
      throw new IllegalArgumentException("maxAdmittedWaitNs must be >= 0: " + maxAdmittedWaitNs);
    if (maxWaitingPerPool < 1)
      throw new IllegalArgumentException("maxWaitingPerPool must be > 0: " + maxWaitingPerPool);
  }

  public WarmPoolPolicy withReadinessGraceNs(long ns) {
    return with(k -> k.readinessGraceNs = ns);
  }

  public WarmPoolPolicy withMaxStarting(int n) {
    return with(k -> k.maxStarting = n);
  }

  public WarmPoolPolicy withMaxClaimsPerTenant(int n) {
    return with(k -> k.maxClaimsPerTenant = n);
  }

  public WarmPoolPolicy withAdmission(long maxAdmittedWaitNs, int maxWaitingPerPool) {
    return with(
        k -> {
          k.maxAdmittedWaitNs = maxAdmittedWaitNs;
          k.maxWaitingPerPool = maxWaitingPerPool;
        });
  }

  /** A copy of this policy with {@code change} applied to its knobs (validated again). */
  private WarmPoolPolicy with(Consumer<Knobs> change) {
    Knobs k = new Knobs(this);
    change.accept(k);
    return k.policy();
  }

  /** The knobs of a policy, to change some of them and build another. */
  private static final class Knobs {
    long readinessGraceNs;
    int maxStarting;
    int maxClaimsPerTenant;
    long emptyRetryAfterMs;
    long createBackoffBaseNs;
    long createBackoffMaxNs;
    long maxAdmittedWaitNs;
    int maxWaitingPerPool;

    Knobs(WarmPoolPolicy p) {
      readinessGraceNs = p.readinessGraceNs;
      maxStarting = p.maxStarting;
      maxClaimsPerTenant = p.maxClaimsPerTenant;
      emptyRetryAfterMs = p.emptyRetryAfterMs;
      createBackoffBaseNs = p.createBackoffBaseNs;
      createBackoffMaxNs = p.createBackoffMaxNs;
      maxAdmittedWaitNs = p.maxAdmittedWaitNs;
      maxWaitingPerPool = p.maxWaitingPerPool;
    }

    WarmPoolPolicy policy() {
      return new WarmPoolPolicy(
          readinessGraceNs,
          maxStarting,
          maxClaimsPerTenant,
          emptyRetryAfterMs,
          createBackoffBaseNs,
          createBackoffMaxNs,
          maxAdmittedWaitNs,
          maxWaitingPerPool);
    }
  }
}
