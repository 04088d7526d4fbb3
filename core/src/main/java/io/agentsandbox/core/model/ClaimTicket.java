package io.agentsandbox.core.model;

import java.util.Objects;

/**
 * A claim in flight: the request plus the way back to whoever asked. Mutable; it changes hands.
 *
 * <p>The requester builds the ticket and offers it to a shard; from that moment until {@link
 * #complete} hands the outcome back, the ticket belongs to the shard's owner thread and the sender
 * does not touch it (the JCTools queue gives happens-before from offer to poll). {@link #complete}
 * is called exactly once, on the shard's thread; {@link #onComplete} then carries the outcome back
 * to the requester's thread (the reply hop).
 */
public abstract class ClaimTicket {

  private final ClaimRequest request;

  // Shard loop only
  private boolean completed;

  protected ClaimTicket(ClaimRequest request) {
    this.request = Objects.requireNonNull(request, "request");
  }

  public final ClaimRequest request() {
    return request;
  }

  /**
   * The W3C trace id (32 hex) the claim carried, or null; kept in the claim's log lines. Fixed at
   * construction by subclasses that know one.
   */
  public String traceId() {
    return null;
  }

  /** True once an outcome has been handed back. Owner thread only. */
  public final boolean isCompleted() {
    return completed;
  }

  /**
   * Hands the final outcome back to the requester. Owner thread only; exactly once.
   *
   * @param outcome {@link ClaimOutcome.Assigned} or {@link ClaimOutcome.Rejected}
   * @throws IllegalStateException if the ticket was already completed (a bug in the caller)
   */
  public final void complete(ClaimOutcome outcome) {
    if (completed) throw new IllegalStateException("claim completed twice: " + request.claimId());
    if (outcome instanceof ClaimOutcome.Pending) {
      throw new IllegalArgumentException("Pending is not a final outcome: " + request.claimId());
    }
    completed = true;
    onComplete(outcome);
  }

  /**
   * Carries the outcome to the requester. Called once, on the shard's thread; must not block and
   * must not throw.
   */
  protected abstract void onComplete(ClaimOutcome outcome);
}
