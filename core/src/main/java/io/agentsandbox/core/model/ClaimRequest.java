package io.agentsandbox.core.model;

import java.util.Objects;

/**
 * One claim for a sandbox, as accepted at the API edge (HTTP or a {@code SandboxClaim}). Immutable
 * and already validated: every range below is checked by the constructor.
 *
 * @param claimId unique, opaque id of the claim
 * @param pool the pool to take a sandbox from
 * @param tenant who is asking; the unit of fairness and of quotas
 * @param priority higher is served first among waiting claims ({@link #MIN_PRIORITY}..{@link
 *     #MAX_PRIORITY})
 * @param onEmpty what to do when the pool has no ready sandbox
 * @param waitNs how long the claim may wait for a sandbox, in nanoseconds
 * @param ttlNs how long the claim holds its sandbox before it is released, 0 for no limit
 * @param receivedAtNs {@link io.agentsandbox.core.port.NanoClock} time the claim arrived
 */
public record ClaimRequest(
    String claimId,
    PoolKey pool,
    String tenant,
    int priority,
    OnEmpty onEmpty,
    long waitNs,
    long ttlNs,
    long receivedAtNs) {

  public static final int MIN_PRIORITY = -1000;
  public static final int MAX_PRIORITY = 1000;

  public ClaimRequest {
    Objects.requireNonNull(claimId, "claimId");
    Objects.requireNonNull(pool, "pool");
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(onEmpty, "onEmpty");
    if (priority < MIN_PRIORITY || priority > MAX_PRIORITY) {
      throw new IllegalArgumentException("priority out of range: " + priority);
    }
    if (waitNs < 0) throw new IllegalArgumentException("waitNs must be >= 0: " + waitNs);
    if (ttlNs < 0) throw new IllegalArgumentException("ttlNs must be >= 0: " + ttlNs);
  }

  /** The instant after which a waiting claim fails with {@link RejectReason#DEADLINE}. */
  public long deadlineNs() {
    return receivedAtNs + waitNs;
  }
}
