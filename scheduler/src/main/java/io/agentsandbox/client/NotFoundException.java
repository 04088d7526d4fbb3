package io.agentsandbox.client;

import java.time.Duration;

/**
 * {@code 404}: no such pool, claim or file; also a sandbox call whose claim was released or
 * expired.
 */
public final class NotFoundException extends AgentSandboxException {
  private static final long serialVersionUID = 1L;

  /**
   * See {@link AgentSandboxException#AgentSandboxException(int, String, String, String, Duration)}.
   */
  public NotFoundException(
      int status, String code, String field, String message, Duration retryAfter) {
    super(status, code, field, message, retryAfter);
  }
}
