/**
 * The only concurrency primitives on the claim path: {@link
 * io.agentsandbox.core.concurrent.MpscInbox} (JCTools queues plus one work-in-progress counter) and
 * {@link io.agentsandbox.core.concurrent.OwnerCheck}.
 *
 * <p>Owner: an inbox's consumer side is owned by the thread its owner executor runs tasks on (in
 * the scheduler, a shard's event loop). {@code offerClaim}, {@code offerControl}, the depths and
 * {@code ownerCheck()} may be called from any thread; {@code drain} only on the owner. The first
 * drain binds the owner in the inbox's {@link io.agentsandbox.core.concurrent.OwnerCheck}, outside
 * any {@code assert}, so checks and same-thread shortcuts behave the same with assertions off.
 */
package io.agentsandbox.core.concurrent;
