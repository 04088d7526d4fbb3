package io.agentsandbox.client;

import java.time.Duration;

/**
 * {@code 400} (also {@code 413} body too large, {@code 415} not JSON, {@code 422} the pool's
 * runtime class cannot run here): the request is wrong as sent; retrying it unchanged will not
 * help. {@link #field()} names the culprit.
 */
public final class BadRequestException extends AgentSandboxException {
  private static final long serialVersionUID = 1L;

  /**
   * See {@link AgentSandboxException#AgentSandboxException(int, String, String, String, Duration)}.
   */
  public BadRequestException(
      int status, String code, String field, String message, Duration retryAfter) {
    super(status, code, field, message, retryAfter);
  }
}
