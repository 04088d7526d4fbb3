/**
 * The only concurrency primitives on the claim path: {@link
 * io.agentsandbox.core.concurrent.MpscInbox} (JCTools queues plus one work-in-progress counter) and
 * {@link io.agentsandbox.core.concurrent.OwnerCheck}.
 *
 * <p>An inbox's state is owned by its owner executor's thread; {@code offerClaim} and {@code
 * offerControl} may be called from any thread, {@code drain} only on the owner.
 */
package io.agentsandbox.core.concurrent;
