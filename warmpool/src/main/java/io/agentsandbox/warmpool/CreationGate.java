package io.agentsandbox.warmpool;

import io.agentsandbox.core.model.RuntimeClass;

/**
 * Limits how many sandboxes of one runtime class are starting at once and how fast they are asked
 * for, across every pool of that class (Kata is heavier than gVisor). Called on the pools' owner
 * threads; implementations are thread-safe and never block.
 */
public interface CreationGate {

  /** No limit. */
  CreationGate UNLIMITED =
      new CreationGate() {
        @Override
        public int tryAcquire(RuntimeClass runtimeClass, int wanted, int poolStarting, long nowNs) {
          return wanted;
        }

        @Override
        public void release(RuntimeClass runtimeClass) {}
      };

  /**
   * Sandboxes per second one pool of this class can expect to have created and ready, given a
   * create-to-ready lead time: its fair share of the concurrency cap over the lead time, and of the
   * create rate, whichever is lower. Used to bound how many claims a pool lets wait. {@link
   * Double#POSITIVE_INFINITY} when unlimited.
   */
  default double throughputPerSecond(RuntimeClass runtimeClass, long leadTimeNs) {
    return Double.POSITIVE_INFINITY;
  }

  /**
   * Asks to start up to {@code wanted} sandboxes.
   *
   * @param poolStarting how many the asking pool has starting now (for its fair share)
   * @return how many may start now, 0..wanted; each must later be given back with {@link #release}
   */
  int tryAcquire(RuntimeClass runtimeClass, int wanted, int poolStarting, long nowNs);

  /** A sandbox that held a permit is no longer starting (ready, failed or deleted). */
  void release(RuntimeClass runtimeClass);

  /** A pool of this class appeared (for fair shares). */
  default void registerPool(RuntimeClass runtimeClass) {}

  /** A pool of this class went away. */
  default void unregisterPool(RuntimeClass runtimeClass) {}
}
