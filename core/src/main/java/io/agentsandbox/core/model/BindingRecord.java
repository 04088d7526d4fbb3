package io.agentsandbox.core.model;

import java.util.Objects;

/**
 * A claim's binding to its sandbox, as made durable before the claim is acknowledged ({@code 201}),
 * so that a restarted scheduler can restore it. Immutable. Carries no secret: a claim's token is
 * derived from its id and the server's persistent key.
 *
 * @param claimId the claim
 * @param pool the pool the sandbox belongs to
 * @param sandboxName the bound sandbox
 * @param tenant the claim's tenant
 * @param priority the claim's priority
 * @param onEmpty the claim's empty-pool policy (kept for reads of the claim)
 * @param launchType warm or cold
 * @param ttlMs the claim's time to live, 0 for none
 * @param expiresAtEpochMs wall-clock instant (epoch millis) at which the TTL releases the claim, 0
 *     for never
 */
public record BindingRecord(
    String claimId,
    PoolKey pool,
    String sandboxName,
    String tenant,
    int priority,
    OnEmpty onEmpty,
    LaunchType launchType,
    long ttlMs,
    long expiresAtEpochMs) {

  public BindingRecord {
    Objects.requireNonNull(claimId, "claimId");
    Objects.requireNonNull(pool, "pool");
    Objects.requireNonNull(sandboxName, "sandboxName");
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(onEmpty, "onEmpty");
    Objects.requireNonNull(launchType, "launchType");
    if (ttlMs < 0) throw new IllegalArgumentException("ttlMs must be >= 0: " + ttlMs);
    if (expiresAtEpochMs < 0)
      throw new IllegalArgumentException("expiresAtEpochMs must be >= 0: " + expiresAtEpochMs);
  }
}
