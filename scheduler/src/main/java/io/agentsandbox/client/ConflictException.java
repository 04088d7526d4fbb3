package io.agentsandbox.client;

import java.time.Duration;

/**
 * {@code 409}: the claim was cancelled while it waited ({@code cancelled}), is still waiting
 * ({@code claim_pending}), or its sandbox is gone ({@link SandboxGoneException}).
 */
public class ConflictException extends AgentSandboxException {
  private static final long serialVersionUID = 1L;

  /**
   * See {@link AgentSandboxException#AgentSandboxException(int, String, String, String, Duration)}.
   */
  public ConflictException(
      int status, String code, String field, String message, Duration retryAfter) {
    super(status, code, field, message, retryAfter);
  }
}
