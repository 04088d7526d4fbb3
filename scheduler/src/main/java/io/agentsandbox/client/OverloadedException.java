package io.agentsandbox.client;

import java.time.Duration;

/**
 * {@code 503}: back-pressure ({@code pool_empty}, {@code queue_full}, {@code overloaded}, {@code
 * exec_busy}, {@code shutting_down}, ...). Surfaced after the {@link RetryPolicy} is spent; {@link
 * #retryAfter()} says when the server suggested trying again.
 */
public final class OverloadedException extends AgentSandboxException {
  private static final long serialVersionUID = 1L;

  /**
   * See {@link AgentSandboxException#AgentSandboxException(int, String, String, String, Duration)}.
   */
  public OverloadedException(
      int status, String code, String field, String message, Duration retryAfter) {
    super(status, code, field, message, retryAfter);
  }
}
