package io.agentsandbox.client;

import java.time.Duration;

/**
 * {@code 410 sandbox_gone}: the claim's sandbox died (killed, out of memory, crashed, its pod
 * deleted); the message says why, and {@code GET /v1/claims/{id}} shows the claim as {@code Failed}
 * with the reason. Nothing more can run in it: release the handle and claim another sandbox.
 */
public final class SandboxGoneException extends GoneException {
  private static final long serialVersionUID = 1L;

  /**
   * See {@link AgentSandboxException#AgentSandboxException(int, String, String, String, Duration)}.
   */
  public SandboxGoneException(
      int status, String code, String field, String message, Duration retryAfter) {
    super(status, code, field, message, retryAfter);
  }
}
