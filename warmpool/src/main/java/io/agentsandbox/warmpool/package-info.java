/**
 * One pool's state machine ({@link io.agentsandbox.warmpool.WarmPool}) and its policy.
 *
 * <p>Pure and single-threaded: a pool and everything it holds are owned by one thread (in the
 * scheduler, its shard's event loop) and touched by no other. Time comes in as a {@code nowNs}
 * argument; side effects go out through {@link io.agentsandbox.warmpool.PoolActions} and {@link
 * io.agentsandbox.core.model.ClaimTicket#complete}. No Vert.x, fabric8 or Micrometer.
 */
package io.agentsandbox.warmpool;
