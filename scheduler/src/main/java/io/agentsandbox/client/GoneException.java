package io.agentsandbox.client;

import java.time.Duration;

/**
 * {@code 410}: the resource existed but is gone for good; {@link SandboxGoneException} when it is a
 * claim's sandbox that died.
 */
public class GoneException extends AgentSandboxException {
  private static final long serialVersionUID = 1L;

  /**
   * See {@link AgentSandboxException#AgentSandboxException(int, String, String, String, Duration)}.
   */
  public GoneException(int status, String code, String field, String message, Duration retryAfter) {
    super(status, code, field, message, retryAfter);
  }
}
