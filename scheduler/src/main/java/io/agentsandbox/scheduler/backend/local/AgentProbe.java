package io.agentsandbox.scheduler.backend.local;

import io.agentsandbox.scheduler.dataplane.AgentClient;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ScheduledFuture;

/**
 * Asks a sandbox's agent for {@code /healthz} over its unix socket: the local backend's readiness
 * check when the agent is the sandbox's init. Stateless; blocking; lifecycle workers only.
 */
final class AgentProbe {

  private static final byte[] REQUEST =
      "GET /healthz HTTP/1.1\r\nHost: agent\r\nConnection: close\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII);

  private AgentProbe() {}

  /** Null when the agent answered 200, else what went wrong. Blocking (one short request). */
  static String probe(Path socket) {
    if (!Files.exists(socket)) return "no agent socket yet";
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ScheduledFuture<?> deadline = AgentClient.closeAfter(ch, TIMEOUT_MS);
      try {
        return exchange(ch, socket);
      } finally {
        deadline.cancel(false);
      }
    } catch (IOException e) {
      return "agent: " + e;
    }
  }

  /** A probe of an agent that accepts but does not answer gives up after this long. */
  static final long TIMEOUT_MS = 2_000;

  private static String exchange(SocketChannel ch, Path socket) throws IOException {
    ch.connect(UnixDomainSocketAddress.of(socket));
    ByteBuffer out = ByteBuffer.wrap(REQUEST);
    while (out.hasRemaining()) ch.write(out);
    ByteBuffer in = ByteBuffer.allocate(512);
    // The status line comes in the first bytes; the agent answers at once (a local socket).
    while (in.hasRemaining() && ch.read(in) >= 0) {
      String head = new String(in.array(), 0, in.position(), StandardCharsets.US_ASCII);
      int eol = head.indexOf("\r\n");
      if (eol >= 0) {
        return head.startsWith("HTTP/1.1 200") ? null : "agent answered " + head.substring(0, eol);
      }
    }
    return "agent closed the connection";
  }
}
