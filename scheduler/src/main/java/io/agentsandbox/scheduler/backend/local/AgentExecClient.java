package io.agentsandbox.scheduler.backend.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentsandbox.core.model.ExecRequest;
import io.agentsandbox.core.model.ExecResult;
import io.agentsandbox.core.port.SandboxExecutor.ExecException;
import io.agentsandbox.core.port.SandboxExecutor.OutputListener;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one exec through a sandbox's agent: {@code POST /v1/exec} (HTTP/1.0, so the answer is
 * neither chunked nor kept alive) over the agent's unix socket, NDJSON ({@code ?stream=true}) when
 * output is streamed. Stateless; blocking; exec workers only.
 */
final class AgentExecClient {

  private static final ObjectMapper JSON = new ObjectMapper();

  private AgentExecClient() {}

  /**
   * Runs {@code request} through the agent listening on {@code socket}.
   *
   * @throws ExecException {@code BUSY} when the agent is at its limit, {@code RUNTIME_ERROR} when
   *     it refused the request
   * @throws IOException when the agent cannot be reached or broke off
   */
  static ExecResult exec(Path socket, ExecRequest request, OutputListener listener)
      throws IOException {
    byte[] body = JSON.writeValueAsBytes(body(request));
    String path = listener == null ? "/v1/exec" : "/v1/exec?stream=true";
    long t0 = System.nanoTime();
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(socket));
      String head =
          "POST "
              + path
              + " HTTP/1.0\r\nHost: agent\r\nContent-Type: application/json\r\nContent-Length: "
              + body.length
              + "\r\n\r\n";
      write(ch, head.getBytes(StandardCharsets.US_ASCII));
      write(ch, body);
      InputStream in = new BufferedInputStream(Channels.newInputStream(ch), 16_384);
      int status = readHead(in);
      if (status == 503) {
        throw new ExecException(ExecException.Kind.BUSY, "the sandbox's agent is busy; retry");
      }
      if (status != 200) {
        throw new ExecException(
            ExecException.Kind.RUNTIME_ERROR,
            "the sandbox's agent answered " + status + ": " + errorMessage(in.readAllBytes()));
      }
      JsonNode result;
      if (listener == null) {
        result = JSON.readTree(in.readAllBytes());
      } else {
        result = null;
        byte[] line;
        while ((line = readLine(in)) != null) {
          if (line.length == 0) continue;
          JsonNode n = JSON.readTree(line);
          if (n.has("stream")) {
            byte[] data = n.path("data").asText("").getBytes(StandardCharsets.UTF_8);
            if (data.length > 0) listener.onOutput("stderr".equals(n.get("stream").asText()), data);
          } else {
            result = n;
          }
        }
        if (result == null) throw new IOException("the agent's stream ended without a result");
      }
      return new ExecResult(
          result.path("exitCode").asInt(-1),
          result.path("stdout").asText("").getBytes(StandardCharsets.UTF_8),
          result.path("stderr").asText("").getBytes(StandardCharsets.UTF_8),
          result.path("stdoutTruncated").asBoolean(),
          result.path("stderrTruncated").asBoolean(),
          result.path("timedOut").asBoolean(),
          result.has("durationMs")
              ? (long) (result.get("durationMs").asDouble() * 1_000_000)
              : System.nanoTime() - t0);
    }
  }

  private static ObjectNode body(ExecRequest r) {
    ObjectNode b = JSON.createObjectNode();
    var cmd = b.putArray("command");
    r.command().forEach(cmd::add);
    if (!r.env().isEmpty()) {
      ObjectNode env = b.putObject("env");
      for (Map.Entry<String, String> e : r.env().entrySet()) env.put(e.getKey(), e.getValue());
    }
    b.put("workdir", r.workdir());
    if (r.stdin().length > 0) b.put("stdin", new String(r.stdin(), StandardCharsets.UTF_8));
    b.put("timeoutMs", Math.max(1, r.timeoutMs()));
    return b;
  }

  private static void write(SocketChannel ch, byte[] bytes) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    while (b.hasRemaining()) ch.write(b);
  }

  /** Reads the status line and headers; returns the status code. */
  private static int readHead(InputStream in) throws IOException {
    byte[] status = readLine(in);
    if (status == null) throw new IOException("the agent closed the connection");
    String s = new String(status, StandardCharsets.US_ASCII);
    if (!s.startsWith("HTTP/1.") || s.length() < 12) throw new IOException("bad answer: " + s);
    byte[] h;
    while ((h = readLine(in)) != null && h.length > 0) {
      // headers: nothing needed (HTTP/1.0: the body ends at EOF)
    }
    try {
      return Integer.parseInt(s.substring(9, 12));
    } catch (NumberFormatException e) {
      throw new IOException("bad status line: " + s);
    }
  }

  /** One line without its CR LF, or null at EOF. */
  private static byte[] readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') break;
      line.write(c);
    }
    if (c < 0 && line.size() == 0) return null;
    byte[] b = line.toByteArray();
    int n = b.length;
    if (n > 0 && b[n - 1] == '\r') return java.util.Arrays.copyOf(b, n - 1);
    return b;
  }

  private static String errorMessage(byte[] body) {
    try {
      JsonNode n = JSON.readTree(body);
      return n.path("error").path("message").asText(new String(body, StandardCharsets.UTF_8));
    } catch (IOException e) {
      return new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8);
    }
  }

  /** Budget of the whole exchange beyond the command's own timeout. */
  static final long SLACK_MS = TimeUnit.SECONDS.toMillis(5);
}
