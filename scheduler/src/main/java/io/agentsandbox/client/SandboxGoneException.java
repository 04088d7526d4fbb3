package io.agentsandbox.client;

import java.time.Duration;

/**
 * {@code 409 sandbox_gone}: the claim still exists but its sandbox died (killed, crashed, its pod
 * deleted). Nothing more can run in it: release the handle and claim another sandbox.
 */
public final class SandboxGoneException extends ConflictException {
  private static final long serialVersionUID = 1L;

  /**
   * See {@link AgentSandboxException#AgentSandboxException(int, String, String, String, Duration)}.
   */
  public SandboxGoneException(
      int status, String code, String field, String message, Duration retryAfter) {
    super(status, code, field, message, retryAfter);
  }
}
