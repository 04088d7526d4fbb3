package io.agentsandbox.core.model;

import java.util.Objects;

/** The answer to a claim. {@link Pending} is only ever returned, never sent to a claimant. */
public sealed interface ClaimOutcome
    permits ClaimOutcome.Assigned, ClaimOutcome.Pending, ClaimOutcome.Rejected {

  /**
   * A sandbox is bound to the claim.
   *
   * @param claimId the claim
   * @param sandbox the bound sandbox
   * @param launchType warm (from the pool) or cold (started for this claim)
   * @param waitedNs time from the claim's arrival to the binding
   * @param expiresAtNs clock time at which the claim's TTL releases it, 0 for never
   */
  record Assigned(
      String claimId, SandboxRef sandbox, LaunchType launchType, long waitedNs, long expiresAtNs)
      implements ClaimOutcome {
    public Assigned {
      Objects.requireNonNull(claimId, "claimId");
      Objects.requireNonNull(sandbox, "sandbox");
      Objects.requireNonNull(launchType, "launchType");
    }
  }

  /** The claim waits for capacity; the ticket is completed later. */
  record Pending() implements ClaimOutcome {
    public static final Pending INSTANCE = new Pending();
  }

  /**
   * The claim was turned away.
   *
   * @param reason why; decides the HTTP status
   * @param message a sentence for people
   * @param retryAfterMs hint for {@code Retry-After}, 0 when retrying will not help
   */
  record Rejected(RejectReason reason, String message, long retryAfterMs) implements ClaimOutcome {
    public Rejected {
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(message, "message");
    }
  }
}
