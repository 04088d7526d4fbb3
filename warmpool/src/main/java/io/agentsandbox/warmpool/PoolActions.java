package io.agentsandbox.warmpool;

import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.ClaimRequest;
import io.agentsandbox.core.model.ClaimTicket;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.SandboxBlueprint;

/**
 * What a {@link WarmPool} asks its owner to do. Called on the owner thread; implementations return
 * at once (the scheduler forwards to the asynchronous provisioner).
 */
public interface PoolActions {

  /** Start a sandbox; its result comes back as {@link WarmPool#onSandboxReady} or failed. */
  void createSandbox(PoolKey pool, String sandboxName, SandboxBlueprint blueprint);

  /** Stop a sandbox; completion comes back as {@link WarmPool#onSandboxDeleted}. */
  void deleteSandbox(PoolKey pool, String sandboxName);

  /**
   * A claim was bound to a sandbox: the owner acknowledges it by completing the ticket with {@code
   * assigned}, at once or later (for example once the binding is durable). Until then the claim is
   * already bound in the pool (it can be read, released or expire); if it ends before the owner
   * acknowledges it, the owner must complete the ticket with a rejection instead.
   */
  default void bindingMade(ClaimTicket ticket, ClaimOutcome.Assigned assigned) {
    ticket.complete(assigned);
  }

  /**
   * A claim is turned away: the owner completes the ticket with {@code rejected} (the default does
   * it at once; an owner may log the decision first).
   */
  default void claimRejected(ClaimTicket ticket, ClaimOutcome.Rejected rejected) {
    ticket.complete(rejected);
  }

  /**
   * A claim found no ready sandbox and waits: for the next warm one, or for the sandbox started for
   * it ({@code cold}). Its outcome follows as a binding or a rejection.
   */
  default void claimWaiting(ClaimTicket ticket, boolean cold) {}

  /**
   * A bound claim ended: released by its holder, or by its TTL ({@code byTtl}). Called before
   * {@link #claimEnded}; its sandbox is being deleted.
   */
  default void claimReleased(
      ClaimRequest claim, ClaimOutcome.Assigned assignment, boolean byTtl, long nowNs) {}

  /**
   * A sandbox was not ready {@code startingNs} after it was asked for (past the readiness grace):
   * it is deleted and replaced next.
   */
  default void sandboxStuck(PoolKey pool, String sandboxName, long startingNs) {}

  /** A claim this pool admitted has ended (released, expired or cancelled). */
  default void claimEnded(String claimId) {}

  /**
   * A bound claim's sandbox died ({@link ClaimView#lost} says why): the claim has ended in this
   * pool; its owner may keep the view so the claim's holder can read what happened.
   */
  default void claimLost(ClaimView view) {
    claimEnded(view.request().claimId());
  }
}
