package io.agentsandbox.core.model;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a sandbox's in-sandbox agent listens, and the secret it expects ({@code Authorization:
 * Bearer <secret>}). Immutable. Exactly one of {@code unixSocket} and {@code host} is set.
 *
 * @param unixSocket the agent's unix socket on this host (local backend), or null
 * @param host the agent's address (Kubernetes: the pod's IP), or null
 * @param port the agent's TCP port (0 with a unix socket)
 * @param secret the per-sandbox secret, or null when the agent needs none (a unix socket whose file
 *     mode protects it)
 */
public record AgentEndpoint(Path unixSocket, String host, int port, String secret) {

  /** The port upstream's runtime API (and our agent) listens on in a pod. */
  public static final int RUNTIME_PORT = 8888;

  public AgentEndpoint {
    if ((unixSocket == null) == (host == null))
      throw new IllegalArgumentException("exactly one of unixSocket and host must be set");
    if (host != null && (port <= 0 || port > 65535))
      throw new IllegalArgumentException("port must be 1..65535: " + port);
  }

  /** An agent on a unix socket of this host. */
  public static AgentEndpoint unix(Path socket, String secret) {
    return new AgentEndpoint(Objects.requireNonNull(socket, "socket"), null, 0, secret);
  }

  /** An agent on {@code host:port}. */
  public static AgentEndpoint tcp(String host, int port, String secret) {
    return new AgentEndpoint(null, Objects.requireNonNull(host, "host"), port, secret);
  }

  /** True for a unix-socket endpoint. */
  public boolean isUnix() {
    return unixSocket != null;
  }

  @Override
  public String toString() {
    // NOTE: never print the secret.
    return isUnix() ? "unix:" + unixSocket : host + ":" + port;
  }
}
