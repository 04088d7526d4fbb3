package io.agentsandbox.scheduler.dataplane;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentsandbox.core.internal.DaemonThreads;
import io.agentsandbox.core.model.AgentEndpoint;
import io.agentsandbox.core.model.ExecRequest;
import io.agentsandbox.core.model.ExecResult;
import io.agentsandbox.core.model.FileScripts;
import io.agentsandbox.core.port.SandboxExecutor.ExecException;
import io.agentsandbox.core.port.SandboxExecutor.OutputListener;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URLEncoder;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Talks to one sandbox's agent, over its unix socket (local backend) or TCP (a pod's IP): {@code
 * POST /v1/exec} (NDJSON with {@code ?stream=true} when output is streamed) and {@code
 * GET|PUT|DELETE /v1/files/{path}}, HTTP/1.0 (so an answer is neither chunked nor kept alive),
 * {@code Authorization: Bearer <secret>}. Every exchange is bounded: the socket is closed at the
 * command's timeout plus {@link #SLACK_MS}, so an agent that stops answering never holds a worker.
 * Stateless; blocking; exec workers only.
 */
public final class AgentClient {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Budget of an exchange beyond the command's own timeout. */
  static final long SLACK_MS = TimeUnit.SECONDS.toMillis(5);

  /** Closes the sockets of exchanges past their deadline. */
  private static final ScheduledExecutorService WATCHDOG = watchdog();

  private final AgentEndpoint endpoint;
  private final String secret;
  private final int outputLimitBytes;

  /**
   * @param endpoint where the agent listens, with the sandbox's agent secret (sent as a bearer
   *     token; null sends none)
   * @param outputLimitBytes the most bytes of a file read (more: {@code stdoutTruncated})
   */
  public AgentClient(AgentEndpoint endpoint, int outputLimitBytes) {
    this.endpoint = java.util.Objects.requireNonNull(endpoint, "endpoint");
    this.secret = endpoint.secret();
    this.outputLimitBytes = outputLimitBytes;
  }

  /** An agent on a unix socket of this host. */
  public AgentClient(Path socket, String secret, int outputLimitBytes) {
    this(AgentEndpoint.unix(socket, secret), outputLimitBytes);
  }

  /**
   * Runs {@code request} through the agent; a file command of {@link FileScripts} goes to the
   * agent's file routes instead (bytes, not JSON strings), answered with the script's exit codes.
   *
   * @throws ExecException {@code BUSY} when the agent is at its limit, {@code RUNTIME_ERROR} when
   *     it refused the request
   * @throws IOException when the agent cannot be reached or broke off
   */
  public ExecResult exec(ExecRequest request, OutputListener listener) throws IOException {
    FileScripts.FileOp file = FileScripts.parse(request);
    if (file != null) return file(file, request.stdin(), request.timeoutMs());
    byte[] body = JSON.writeValueAsBytes(body(request));
    String path = listener == null ? "/v1/exec" : "/v1/exec?stream=true";
    long t0 = System.nanoTime();
    try (Exchange x = open("POST", path, "application/json", body, request.timeoutMs())) {
      if (x.status == 503) {
        throw new ExecException(ExecException.Kind.BUSY, "the sandbox's agent is busy; retry");
      }
      if (x.status != 200) {
        throw new ExecException(
            ExecException.Kind.RUNTIME_ERROR,
            "the sandbox's agent answered " + x.status + ": " + errorMessage(x.in.readAllBytes()));
      }
      JsonNode result;
      if (listener == null) {
        result = JSON.readTree(x.in.readAllBytes());
      } else {
        result = null;
        byte[] line;
        while ((line = readLine(x.in)) != null) {
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
      if (result.has("error")) {
        throw new ExecException(
            ExecException.Kind.RUNTIME_ERROR,
            "the sandbox's agent failed the command: "
                + result.path("error").path("message").asText());
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
              : System.nanoTime() - t0,
          false,
          null);
    }
  }

  /** A file operation through {@code /v1/files}, answered as its script would have. */
  private ExecResult file(FileScripts.FileOp op, byte[] content, long timeoutMs)
      throws IOException {
    long t0 = System.nanoTime();
    String path = "/v1/files/" + encodePath(op.relativePath());
    String method =
        switch (op.kind()) {
          case READ -> "GET";
          case WRITE -> "PUT";
          case DELETE -> "DELETE";
        };
    byte[] body = op.kind() == FileScripts.Kind.WRITE ? content : null;
    try (Exchange x = open(method, path, "application/octet-stream", body, timeoutMs)) {
      if (x.status == 200 && op.kind() == FileScripts.Kind.READ) {
        byte[] bytes = x.in.readNBytes(outputLimitBytes + 1);
        boolean truncated = bytes.length > outputLimitBytes;
        if (truncated) bytes = Arrays.copyOf(bytes, outputLimitBytes);
        return fileResult(0, bytes, "", truncated, t0);
      }
      byte[] answer = x.in.readNBytes(64 * 1024);
      if (x.status == 201 || x.status == 204) return fileResult(0, new byte[0], "", false, t0);
      if (x.status == 503) {
        throw new ExecException(ExecException.Kind.BUSY, "the sandbox's agent is busy; retry");
      }
      String code = errorCode(answer);
      int exit =
          switch (code) {
            case "path_escapes_workspace", "forbidden" -> FileScripts.EXIT_ESCAPES;
            case "not_found", "not_a_directory" -> FileScripts.EXIT_NOT_FOUND;
            case "is_a_directory" -> FileScripts.EXIT_IS_DIRECTORY;
            case "not_a_regular_file" -> FileScripts.EXIT_NOT_REGULAR;
            // The agent refuses a file above its own cap before sending a byte.
            case "file_too_large" -> op.kind() == FileScripts.Kind.READ ? 0 : 1;
            default -> 1;
          };
      if (exit == 0) return fileResult(0, new byte[0], "", true, t0);
      return fileResult(exit, new byte[0], x.status + " " + errorMessage(answer), false, t0);
    }
  }

  private static ExecResult fileResult(
      int exit, byte[] stdout, String stderr, boolean truncated, long t0) {
    return new ExecResult(
        exit,
        stdout,
        stderr.getBytes(StandardCharsets.UTF_8),
        truncated,
        false,
        false,
        System.nanoTime() - t0,
        false,
        null);
  }

  /** Sends one request; the answer's head is read, its body is {@link Exchange#in}. */
  private Exchange open(String method, String path, String contentType, byte[] body, long timeoutMs)
      throws IOException {
    SocketChannel ch =
        SocketChannel.open(
            endpoint.isUnix() ? StandardProtocolFamily.UNIX : StandardProtocolFamily.INET);
    ScheduledFuture<?> deadline = closeAfter(ch, Math.max(1, timeoutMs) + SLACK_MS);
    try {
      ch.connect(
          endpoint.isUnix()
              ? UnixDomainSocketAddress.of(endpoint.unixSocket())
              : new InetSocketAddress(endpoint.host(), endpoint.port()));
      // An upload asks before sending its bytes (HTTP/1.1, Expect: 100-continue): the agent may
      // refuse it without reading the body, and a unix socket closed with unread data makes the
      // answer's read fail (ECONNRESET) instead of delivering it.
      boolean upload = body != null && method.equals("PUT");
      StringBuilder head = new StringBuilder(200);
      head.append(method)
          .append(' ')
          .append(path)
          .append(upload ? " HTTP/1.1\r\nConnection: close\r\nExpect: 100-continue" : " HTTP/1.0")
          .append("\r\nHost: agent\r\n");
      if (secret != null) head.append("Authorization: Bearer ").append(secret).append("\r\n");
      if (body != null) {
        head.append("Content-Type: ").append(contentType).append("\r\n");
        head.append("Content-Length: ").append(body.length).append("\r\n");
      }
      head.append("\r\n");
      write(ch, head.toString().getBytes(StandardCharsets.US_ASCII));
      InputStream in = new BufferedInputStream(Channels.newInputStream(ch), 16_384);
      if (!upload) {
        // The agent may answer (401, 413, ...) and close before reading the body: the write then
        // fails, and its answer is still there to read.
        IOException unsent = null;
        if (body != null) {
          try {
            write(ch, body);
          } catch (IOException e) {
            unsent = e;
          }
        }
        try {
          return new Exchange(ch, deadline, readHead(in), in);
        } catch (IOException e) {
          if (unsent != null) e.addSuppressed(unsent);
          throw e;
        }
      }
      int status = readHead(in);
      if (status != 100) return new Exchange(ch, deadline, status, in);
      write(ch, body);
      return new Exchange(ch, deadline, readHead(in), in);
    } catch (IOException | RuntimeException e) {
      deadline.cancel(false);
      ch.close();
      throw e;
    }
  }

  /** An answer being read; closing it closes the connection. */
  private record Exchange(SocketChannel ch, ScheduledFuture<?> deadline, int status, InputStream in)
      implements AutoCloseable {
    @Override
    public void close() throws IOException {
      deadline.cancel(false);
      ch.close();
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

  /** Percent-encodes each segment of a relative path, keeping the slashes. */
  static String encodePath(String rel) {
    StringBuilder out = new StringBuilder(rel.length() + 16);
    for (String segment : rel.split("/", -1)) {
      if (out.length() > 0) out.append('/');
      out.append(URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20"));
    }
    return out.toString();
  }

  private static void write(SocketChannel ch, byte[] bytes) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    while (b.hasRemaining()) ch.write(b);
  }

  /** Reads the status line and headers; returns the status code. */
  static int readHead(InputStream in) throws IOException {
    byte[] status = readLine(in);
    if (status == null) throw new IOException("the agent closed the connection");
    String s = new String(status, StandardCharsets.US_ASCII);
    if (!s.startsWith("HTTP/1.") || s.length() < 12) throw new IOException("bad answer: " + s);
    byte[] h;
    int headers = 0;
    while ((h = readLine(in)) != null && h.length > 0) {
      // headers: nothing needed (HTTP/1.0: the body ends at EOF)
      if (++headers > 100) throw new IOException("too many headers");
    }
    try {
      return Integer.parseInt(s.substring(9, 12));
    } catch (NumberFormatException e) {
      throw new IOException("bad status line: " + s);
    }
  }

  /** One line without its CR LF, or null at EOF. */
  static byte[] readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') break;
      line.write(c);
    }
    if (c < 0 && line.size() == 0) return null;
    byte[] b = line.toByteArray();
    int n = b.length;
    if (n > 0 && b[n - 1] == '\r') return Arrays.copyOf(b, n - 1);
    return b;
  }

  private static String errorCode(byte[] body) {
    try {
      return JSON.readTree(body).path("error").path("code").asText("");
    } catch (IOException e) {
      return "";
    }
  }

  private static String errorMessage(byte[] body) {
    try {
      JsonNode n = JSON.readTree(body);
      return n.path("error").path("message").asText(new String(body, StandardCharsets.UTF_8));
    } catch (IOException e) {
      return new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8);
    }
  }

  /**
   * Closes {@code ch} after {@code ms} unless the returned future is cancelled first: a blocked
   * read or write on it then fails at once.
   */
  public static ScheduledFuture<?> closeAfter(SocketChannel ch, long ms) {
    return WATCHDOG.schedule(
        () -> {
          try {
            ch.close();
          } catch (IOException e) {
            // closing anyway
          }
        },
        ms,
        TimeUnit.MILLISECONDS);
  }

  private static ScheduledExecutorService watchdog() {
    ScheduledThreadPoolExecutor t =
        new ScheduledThreadPoolExecutor(1, DaemonThreads.named("agent-client-watchdog"));
    t.setRemoveOnCancelPolicy(true);
    return t;
  }
}
