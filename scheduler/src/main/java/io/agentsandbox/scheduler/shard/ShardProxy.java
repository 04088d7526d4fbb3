package io.agentsandbox.scheduler.shard;

import io.agentsandbox.core.model.ClaimTicket;

/**
 * The caller's side of one shard: the only way other threads reach it. Any thread.
 *
 * <p>A caller already on the shard's thread calls the shard directly (the same-thread shortcut);
 * others go through the inbox.
 */
public final class ShardProxy {
  private final PoolShard shard;

  public ShardProxy(PoolShard shard) {
    this.shard = shard;
  }

  public int index() {
    return shard.index();
  }

  /**
   * Submits a claim. The ticket belongs to the shard from here until it is completed.
   *
   * @return false when the shard's claim queue is full: answer {@code 503} with {@code Retry-After}
   */
  public boolean submitClaim(ClaimTicket ticket) {
    if (shard.isOwnerThread()) {
      shard.onSubmitClaim(ticket);
      return true;
    }
    return shard.inbox().offerClaim(ticket);
  }

  /** Sends a control command; never refused. */
  public void send(ShardCommand command) {
    shard.inbox().offerControl(command);
  }

  /** Where the backend posts results for this shard's sandboxes. Any thread. */
  public io.agentsandbox.core.port.ProvisionListener provisionListener() {
    return shard.provisionListener();
  }

  /** Claims queued in this shard now (approximate). */
  public int claimQueueDepth() {
    return shard.inbox().claimDepth();
  }

  /** Control messages queued in this shard now (approximate). */
  public int controlQueueDepth() {
    return shard.inbox().controlDepth();
  }
}
