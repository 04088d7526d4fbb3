package io.agentsandbox.core.model;

import java.util.Objects;

/**
 * A warm pool as declared: a {@code SandboxWarmPool} resolved against its {@code SandboxTemplate}.
 * Immutable.
 *
 * @param key the pool's namespace and name
 * @param blueprint what each member is started from
 * @param replicas desired number of unclaimed members ({@code spec.replicas}, upstream semantics)
 * @param maxClaimsPerTenant cap on one tenant's concurrent claims (bound or waiting) on this pool;
 *     0 means "use the scheduler's default"
 * @param autoscale demand-driven sizing, or null for a static target of {@code replicas}
 */
public record PoolSpec(
    PoolKey key,
    SandboxBlueprint blueprint,
    int replicas,
    int maxClaimsPerTenant,
    Autoscale autoscale) {

  /** A pool with a static target of {@code replicas}. */
  public PoolSpec(PoolKey key, SandboxBlueprint blueprint, int replicas, int maxClaimsPerTenant) {
    this(key, blueprint, replicas, maxClaimsPerTenant, null);
  }

  public PoolSpec {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(blueprint, "blueprint");
    if (replicas < 0) throw new IllegalArgumentException("replicas must be >= 0: " + replicas);
    if (maxClaimsPerTenant < 0) {
      throw new IllegalArgumentException("maxClaimsPerTenant must be >= 0: " + maxClaimsPerTenant);
    }
  }

  public RuntimeClass runtimeClass() {
    return blueprint.runtimeClass();
  }
}
