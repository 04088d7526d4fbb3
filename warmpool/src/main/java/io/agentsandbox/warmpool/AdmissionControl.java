package io.agentsandbox.warmpool;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.model.RejectReason;
import io.agentsandbox.core.model.RuntimeClass;
import java.util.concurrent.TimeUnit;

/**
 * The per-tenant cap, and whether a claim that would wait is let in. Owned by the pool's owner
 * thread; not thread-safe; pure (the {@link CreationGate} is only asked for its throughput).
 *
 * <p>A claim that would wait is refused ({@link RejectReason#OVERLOADED}, with a {@code
 * Retry-After} of about the time the queue ahead needs) when the pool's waiting-claim cap is
 * reached, or when the claims already waiting for a warm sandbox are at least the pool's starting
 * members plus what it can create within {@link WarmPoolPolicy#maxAdmittedWaitNs}. So an admitted
 * claim waits about one lead time plus at most that bound, instead of sitting until its own
 * deadline behind a queue that cannot drain in time.
 */
final class AdmissionControl {

  /** Why a waiting claim is refused: shown to the client, and when to retry. */
  record Refusal(String message, long retryAfterMs) {}

  private final WarmPoolPolicy policy;
  private final CreationGate gate;

  AdmissionControl(WarmPoolPolicy policy, CreationGate gate) {
    this.policy = policy;
    this.gate = gate;
  }

  /** Most claims one tenant may hold in the pool: the spec's cap, else the policy's. */
  int tenantCap(PoolSpec spec) {
    return spec.maxClaimsPerTenant() > 0 ? spec.maxClaimsPerTenant() : policy.maxClaimsPerTenant();
  }

  /**
   * Whether a claim that would wait is refused; null when admitted.
   *
   * @param cold the claim asks for a cold start (its own member), not a warm one
   * @param waiting claims waiting in the pool (warm and cold)
   * @param warmWaiting claims waiting for a warm sandbox
   * @param startingPool members starting for the pool (not for one cold claim)
   */
  Refusal refuseToWait(
      PoolKey key,
      RuntimeClass runtimeClass,
      boolean cold,
      int waiting,
      int warmWaiting,
      int startingPool,
      long leadTimeP90Ns) {
    if (waiting >= policy.maxWaitingPerPool()) {
      long retryAfterMs =
          Math.max(
              policy.emptyRetryAfterMs(),
              retryAfterMs(warmWaiting, startingPool, runtimeClass, leadTimeP90Ns));
      return new Refusal(
          "pool " + key + " already has " + waiting + " claims waiting (its cap); retry later",
          retryAfterMs);
    }
    if (cold || policy.maxAdmittedWaitNs() == 0) return null;
    double perSecond = throughputPerSecond(runtimeClass, leadTimeP90Ns);
    double servable = startingPool + perSecond * (policy.maxAdmittedWaitNs() / 1e9);
    if (warmWaiting < servable) return null;
    long retryAfterMs =
        Math.max(
            policy.emptyRetryAfterMs(),
            retryAfterMs(warmWaiting, startingPool, runtimeClass, leadTimeP90Ns));
    return new Refusal(
        "pool "
            + key
            + " has "
            + warmWaiting
            + " claims waiting for "
            + startingPool
            + " starting sandboxes and creates about "
            + Math.round(perSecond)
            + " per second: a new claim would wait over "
            + TimeUnit.NANOSECONDS.toMillis(policy.maxAdmittedWaitNs())
            + " ms beyond the start time; retry later",
        retryAfterMs);
  }

  /** About how long the claims waiting now need to be served, in ms. */
  long retryAfterMs(
      int warmWaiting, int startingPool, RuntimeClass runtimeClass, long leadTimeP90Ns) {
    double perSecond = throughputPerSecond(runtimeClass, leadTimeP90Ns);
    int beyondStarting = Math.max(0, warmWaiting - startingPool);
    if (Double.isInfinite(perSecond) || perSecond <= 0) return 0;
    return TimeUnit.NANOSECONDS.toMillis(leadTimeP90Ns)
        + (long) Math.ceil(beyondStarting * 1_000 / perSecond);
  }

  /**
   * Sandboxes per second a pool can expect to get ready: {@code maxStarting} over the learned lead
   * time, capped by the creation gate's share for its runtime class. A slow backend shows up as a
   * longer learned lead time, so the figure follows it.
   */
  double throughputPerSecond(RuntimeClass runtimeClass, long leadTimeP90Ns) {
    long lead = Math.max(1, leadTimeP90Ns);
    double byPool = policy.maxStarting() * 1e9 / lead;
    return Math.min(byPool, gate.throughputPerSecond(runtimeClass, lead));
  }
}
