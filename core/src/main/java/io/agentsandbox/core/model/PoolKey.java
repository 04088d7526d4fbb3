package io.agentsandbox.core.model;

import java.util.Objects;

/**
 * Identity of a warm pool: the namespace and name of its {@code SandboxWarmPool}. Immutable.
 *
 * <p>The hash is pure (it depends only on the two strings), which is what lets the scheduler route
 * a claim to a shard with no shared state.
 */
public record PoolKey(String namespace, String name) {

  public PoolKey {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    if (namespace.isEmpty()) throw new IllegalArgumentException("namespace must not be empty");
    if (name.isEmpty()) throw new IllegalArgumentException("name must not be empty");
  }

  /** The key rendered as {@code namespace/name}. */
  @Override
  public String toString() {
    return namespace + "/" + name;
  }
}
