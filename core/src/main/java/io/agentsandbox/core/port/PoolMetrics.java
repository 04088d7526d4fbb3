package io.agentsandbox.core.port;

import io.agentsandbox.core.model.LaunchType;
import io.agentsandbox.core.model.RejectReason;

/**
 * Per-pool event counters and timers. Resolved once per pool; called on the pool's owner thread;
 * must not allocate or block.
 */
public interface PoolMetrics {

  /** Does nothing. */
  PoolMetrics NOOP = new PoolMetrics() {};

  /** A claim got a sandbox after waiting {@code waitedNs}. */
  default void claimAssigned(LaunchType launchType, long waitedNs) {}

  /** A claim was turned away. */
  default void claimRejected(RejectReason reason) {}

  /** A claim was released (by its owner or its TTL). */
  default void claimReleased(boolean byTtl) {}

  /** A sandbox became ready {@code startNs} after it was asked for. */
  default void sandboxReady(long startNs) {}

  /** A sandbox failed to start, died, or was replaced for not becoming ready in time. */
  default void sandboxFailed(boolean stuck) {}
}
