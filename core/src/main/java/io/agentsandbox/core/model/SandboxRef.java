package io.agentsandbox.core.model;

import java.util.List;
import java.util.Objects;

/**
 * A running sandbox as a claimant sees it. Immutable.
 *
 * @param name the sandbox's name (unique within its namespace)
 * @param pool the pool it was started for
 * @param runtimeClass its runtime class
 * @param addresses its IP addresses, empty when it has no network
 * @param backend the backend that runs it ({@code simulated}, {@code local}, {@code kubernetes})
 */
public record SandboxRef(
    String name, PoolKey pool, RuntimeClass runtimeClass, List<String> addresses, String backend) {

  public SandboxRef {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(pool, "pool");
    Objects.requireNonNull(runtimeClass, "runtimeClass");
    addresses = List.copyOf(addresses == null ? List.of() : addresses);
    Objects.requireNonNull(backend, "backend");
  }
}
