package io.agentsandbox.client;

import java.time.Duration;

/**
 * {@code 401} no or invalid token, or {@code 403} a token of another tenant or of another claim
 * ({@code forbidden}, {@code tenant_mismatch}, {@code path_escapes_workspace}).
 */
public final class UnauthorizedException extends AgentSandboxException {
  private static final long serialVersionUID = 1L;

  /**
   * See {@link AgentSandboxException#AgentSandboxException(int, String, String, String, Duration)}.
   */
  public UnauthorizedException(
      int status, String code, String field, String message, Duration retryAfter) {
    super(status, code, field, message, retryAfter);
  }
}
