package io.agentsandbox.scheduler.shard;

import io.agentsandbox.core.model.ClaimTicket;
import io.vertx.core.Context;

/**
 * The caller's side of one shard: the only way other threads reach it. Any thread.
 *
 * <p>A caller already on the shard's thread calls the shard directly (the same-thread shortcut);
 * others go through the inbox.
 */
public final class ShardProxy {
  private final PoolShard shard;
  private final Context loop;

  /** A shard reached only through its inbox and the same-thread shortcut (tests, benchmarks). */
  public ShardProxy(PoolShard shard) {
    this(shard, null);
  }

  /**
   * @param loop the event-loop context the shard runs on: HTTP servers that listen from it serve
   *     their connections on the shard's own thread, so claims for its pools take the same-thread
   *     shortcut
   */
  public ShardProxy(PoolShard shard, Context loop) {
    this.shard = shard;
    this.loop = loop;
  }

  /** The shard's event-loop context, or null when it was built without one. */
  public Context loop() {
    return loop;
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
