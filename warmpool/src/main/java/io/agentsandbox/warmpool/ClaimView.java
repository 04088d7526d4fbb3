package io.agentsandbox.warmpool;

import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.ClaimRequest;

/**
 * A claim as {@code GET /v1/claims/{id}} shows it. Immutable.
 *
 * @param request the claim
 * @param assignment its binding, or null while it waits
 * @param lost why and when its sandbox died, or null while it lives
 */
public record ClaimView(ClaimRequest request, ClaimOutcome.Assigned assignment, Lost lost) {

  /** A claim that waits ({@code assignment} null) or is bound to a living sandbox. */
  public ClaimView(ClaimRequest request, ClaimOutcome.Assigned assignment) {
    this(request, assignment, null);
  }

  /**
   * The sandbox of a bound claim died under it.
   *
   * @param reason what the backend said, e.g. {@code "OutOfMemory: ..."} or {@code "Died: ..."}
   * @param atNs when the pool learnt of it, on the pool's clock
   */
  public record Lost(String reason, long atNs) {}

  /** Bound to a sandbox that is still there. */
  public boolean isBound() {
    return assignment != null && lost == null;
  }

  /** Bound to a sandbox that died ({@link #lost} says why). */
  public boolean isLost() {
    return lost != null;
  }
}
