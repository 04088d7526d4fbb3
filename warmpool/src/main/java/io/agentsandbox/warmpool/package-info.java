/**
 * One pool's state machine ({@link io.agentsandbox.warmpool.WarmPool}) and its policy.
 *
 * <p>Owner: a pool and everything it holds are owned by one thread (in the scheduler, its shard's
 * event loop) and touched by no other; nothing here is thread-safe, nothing here starts a thread or
 * blocks. Pure: time comes in as a {@code nowNs} argument; side effects go out through {@link
 * io.agentsandbox.warmpool.PoolActions} and {@link
 * io.agentsandbox.core.model.ClaimTicket#complete}. No Vert.x, fabric8 or Micrometer.
 *
 * <p>{@code WarmPool} holds the transitions and composes single-owner parts, each tested alone:
 * {@code Roster} (members by state), {@code ClaimBook} (bound and waiting claims), {@code
 * AdmissionControl} (who may wait), {@code TenantLedger} (claims per tenant), {@code
 * TargetController} (the target and its estimators), {@code ReplenishPlanner} (creates, trims and
 * backoff), {@code SandboxNames} (names never reused) and {@code PendingClaims} (the fair queue).
 * The one exception to single ownership is {@link io.agentsandbox.warmpool.CreationGate}: one
 * instance is shared by every pool and must be thread-safe and non-blocking.
 */
package io.agentsandbox.warmpool;
