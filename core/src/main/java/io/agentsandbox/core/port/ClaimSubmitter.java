package io.agentsandbox.core.port;

import io.agentsandbox.core.model.ClaimTicket;
import io.agentsandbox.core.model.PoolKey;

/**
 * The engine's claim intake as seen by an adapter that turns outside objects (a Kubernetes {@code
 * SandboxClaim}) into claims. Any thread; never blocks.
 */
public interface ClaimSubmitter {

  /**
   * Hands a claim to the shard owning its pool; the ticket belongs to the engine from here until it
   * is completed.
   *
   * @return false when the shard's claim queue is full (the ticket was not taken; retry later)
   */
  boolean submit(ClaimTicket ticket);

  /** Releases (or cancels) a claim of {@code pool} on behalf of {@code tenant}. Fire and forget. */
  void release(PoolKey pool, String claimId, String tenant);
}
