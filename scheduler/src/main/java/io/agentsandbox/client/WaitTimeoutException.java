package io.agentsandbox.client;

import java.time.Duration;

/**
 * {@code 504} {@code deadline_exceeded}: no sandbox became ready within the claim's wait ({@link
 * ClaimOptions#withWait}).
 */
public final class WaitTimeoutException extends AgentSandboxException {
  private static final long serialVersionUID = 1L;

  /**
   * See {@link AgentSandboxException#AgentSandboxException(int, String, String, String, Duration)}.
   */
  public WaitTimeoutException(
      int status, String code, String field, String message, Duration retryAfter) {
    super(status, code, field, message, retryAfter);
  }
}
