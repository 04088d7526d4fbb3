package io.agentsandbox.client;

import java.time.Duration;

/**
 * {@code 410}: the resource existed but is gone for good (not answered by this server version,
 * which uses {@code 404} for released claims and {@code 409 sandbox_gone} for dead sandboxes; kept
 * for routers and later versions).
 */
public final class GoneException extends AgentSandboxException {
  private static final long serialVersionUID = 1L;

  /**
   * See {@link AgentSandboxException#AgentSandboxException(int, String, String, String, Duration)}.
   */
  public GoneException(int status, String code, String field, String message, Duration retryAfter) {
    super(status, code, field, message, retryAfter);
  }
}
