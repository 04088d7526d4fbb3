package io.agentsandbox.core.port;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.PoolStats;
import io.agentsandbox.core.model.RuntimeClass;

/**
 * The scheduler's metrics, behind a port so the pure logic needs no metrics library.
 *
 * <p>{@link #registerPool} and {@link #unregisterPool} are called on the pool's owner thread when a
 * pool appears or goes; the implementation resolves every meter there, once.
 */
public interface SchedulerMetrics {

  /** Records nothing. */
  SchedulerMetrics NOOP =
      new SchedulerMetrics() {
        @Override
        public PoolMetrics registerPool(PoolKey pool, RuntimeClass runtimeClass, PoolStats stats) {
          return PoolMetrics.NOOP;
        }
      };

  /**
   * Creates the meters of one pool.
   *
   * @param stats the values the owner publishes for gauges to read
   * @return the pool's event counters
   */
  PoolMetrics registerPool(PoolKey pool, RuntimeClass runtimeClass, PoolStats stats);

  /** Removes the meters of a pool that no longer exists. */
  default void unregisterPool(PoolKey pool) {}

  /** An unexpected failure was caught on an owner loop, which carried on. Any thread. */
  default void errorCaught(String where) {}
}
