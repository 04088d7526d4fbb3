package io.agentsandbox.client;

/**
 * No answer: the connection failed, was cut, or the request timed out ({@link #status()} is 0,
 * {@link #code()} {@code transport}, the I/O exception is the cause). Not retried by the client: a
 * claim may have been made before the connection dropped (it expires at its TTL).
 */
public final class TransportException extends AgentSandboxException {
  private static final long serialVersionUID = 1L;

  /** A failure of the request to {@code what}. */
  public TransportException(String what, Throwable cause) {
    super("transport", what + ": " + cause, cause);
  }
}
