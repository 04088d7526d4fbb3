package io.agentsandbox.client;

import java.time.Duration;
import java.util.Optional;

/**
 * A call to the claim API failed. Subclasses name the HTTP status class; every one carries what the
 * server said: its error {@link #code()} (stable and machine-readable, e.g. {@code unknown_pool},
 * {@code tenant_quota}), the {@link #field()} at fault when there is one, and its message.
 * Transport failures (connection refused, timeouts) are {@link TransportException} with {@link
 * #status()} {@code 0}.
 *
 * <p>Unchecked: the blocking methods of {@link AgentSandboxClient} and {@link SandboxHandle} throw
 * it directly; their async variants complete exceptionally with it (wrapped in a {@link
 * java.util.concurrent.CompletionException} as {@link java.util.concurrent.CompletableFuture}
 * does).
 */
public class AgentSandboxException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String code;
  private final String field;
  private final transient Duration retryAfter;

  /**
   * @param status the HTTP status, or 0 when no answer arrived
   * @param code the server's error code, or a client-side one such as {@code transport}
   * @param field the request field or header at fault, or null
   * @param message the server's message
   * @param retryAfter the server's {@code Retry-After}, or null
   */
  public AgentSandboxException(
      int status, String code, String field, String message, Duration retryAfter) {
    super(describe(status, code, message));
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter;
  }

  AgentSandboxException(String code, String message, Throwable cause) {
    super(message, cause);
    this.status = 0;
    this.code = code;
    this.field = null;
    this.retryAfter = null;
  }

  private static String describe(int status, String code, String message) {
    return status + " " + code + ": " + message;
  }

  /** The HTTP status of the answer, or 0 when none arrived. */
  public int status() {
    return status;
  }

  /** The server's error code ({@code error.code}), e.g. {@code pool_empty}. */
  public String code() {
    return code;
  }

  /** The request field or header the server named as at fault ({@code error.field}), or null. */
  public String field() {
    return field;
  }

  /**
   * The server's {@code Retry-After} on the last answer (429 and 503 carry one), when given. The
   * client has already retried within its {@link RetryPolicy} before surfacing the exception.
   */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }

  /** The server's message alone (without status and code). */
  public String serverMessage() {
    String m = getMessage();
    String prefix = status + " " + code + ": ";
    return m != null && m.startsWith(prefix) ? m.substring(prefix.length()) : m;
  }
}
