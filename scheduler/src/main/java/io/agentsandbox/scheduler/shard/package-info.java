/**
 * The claim scheduler's shards: each {@link io.agentsandbox.scheduler.shard.PoolShard} owns the
 * warm pools routed to it, and other threads reach it only through its inbox.
 *
 * <p><b>Owners.</b> A shard, its {@link io.agentsandbox.warmpool.WarmPool}s, its {@code
 * ClaimIndex}, its {@code BindingDurability} and its pools' {@code PoolStats} writes are owned by
 * its shard's event loop (one Vert.x event-loop context, so one thread) and are not thread-safe.
 * The owner is bound by the shard's first inbox drain or first {@link
 * io.agentsandbox.scheduler.shard.PoolShard#onTick} (its periodic timer), outside any {@code
 * assert}, so the same-thread shortcut behaves the same with assertions on and off.
 *
 * <p><b>What other threads may call.</b>
 *
 * <ul>
 *   <li>{@link io.agentsandbox.scheduler.shard.ShardProxy}: every method, from any thread. {@code
 *       submitClaim} calls the shard directly when the caller is the shard's owner (the same-thread
 *       shortcut), and otherwise offers the ticket to the bounded claim queue; {@code send} offers
 *       a {@link io.agentsandbox.scheduler.shard.ShardCommand} to the unbounded control queue.
 *   <li>{@link io.agentsandbox.scheduler.shard.PoolShard#provisionListener()} and the listener it
 *       returns: any thread (backend results become control messages).
 *   <li>{@link io.agentsandbox.scheduler.shard.PoolShard#isOwnerThread()}, {@code index()}, {@code
 *       inbox()} (offers and depths only): any thread.
 *   <li>{@link io.agentsandbox.scheduler.shard.ShardRouter}: any thread; routing is a pure function
 *       of the pool key.
 *   <li>{@link io.agentsandbox.scheduler.shard.RuntimeClassBudgets}: shared by every shard's pools;
 *       thread-safe and non-blocking.
 * </ul>
 *
 * <p><b>Owner only.</b> {@code onClaim}, {@code onControl}, {@code onDrainTurnEnd}, {@code
 * onHandlerFailure} (called by the inbox's drain), {@code onTick} (the shard's timer, on the same
 * context), the {@link io.agentsandbox.warmpool.PoolActions} callbacks (called by its pools) and
 * {@code onSubmitClaim}. They assert the owner.
 *
 * <p><b>Immutable, any thread.</b> {@link io.agentsandbox.scheduler.shard.ShardCommand}s and their
 * replies, {@link io.agentsandbox.scheduler.shard.PoolSnapshot}. A {@code ClaimTicket} belongs to
 * the shard from its offer until it is completed; the sender does not touch it in between.
 */
package io.agentsandbox.scheduler.shard;
