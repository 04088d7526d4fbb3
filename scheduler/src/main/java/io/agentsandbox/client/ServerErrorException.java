package io.agentsandbox.client;

import java.time.Duration;

/**
 * Any other {@code 5xx}: {@code 500} (a server bug), {@code 501} ({@code simulated_sandbox}: the
 * server runs the simulated backend, there is nothing to exec into), {@code 502} ({@code
 * runtime_error}: the sandbox runtime or the Kubernetes API failed).
 */
public final class ServerErrorException extends AgentSandboxException {
  private static final long serialVersionUID = 1L;

  /**
   * See {@link AgentSandboxException#AgentSandboxException(int, String, String, String, Duration)}.
   */
  public ServerErrorException(
      int status, String code, String field, String message, Duration retryAfter) {
    super(status, code, field, message, retryAfter);
  }
}
