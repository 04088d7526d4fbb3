package io.agentsandbox.warmpool;

import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.ClaimRequest;

/**
 * A claim as {@code GET /v1/claims/{id}} shows it. Immutable.
 *
 * @param request the claim
 * @param assignment its binding, or null while it waits
 */
public record ClaimView(ClaimRequest request, ClaimOutcome.Assigned assignment) {

  public boolean isBound() {
    return assignment != null;
  }
}
