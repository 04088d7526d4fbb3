package io.agentsandbox.client;

import java.time.Duration;

/**
 * {@code 429} {@code tenant_quota}: the tenant holds its cap of concurrent claims on the pool.
 * Surfaced after the {@link RetryPolicy} is spent; release a claim first.
 */
public final class QuotaExceededException extends AgentSandboxException {
  private static final long serialVersionUID = 1L;

  /**
   * See {@link AgentSandboxException#AgentSandboxException(int, String, String, String, Duration)}.
   */
  public QuotaExceededException(
      int status, String code, String field, String message, Duration retryAfter) {
    super(status, code, field, message, retryAfter);
  }
}
