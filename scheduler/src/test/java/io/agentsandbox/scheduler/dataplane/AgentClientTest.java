package io.agentsandbox.scheduler.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentsandbox.core.model.ExecRequest;
import io.agentsandbox.core.model.ExecResult;
import io.agentsandbox.core.model.FileScripts;
import io.agentsandbox.core.port.SandboxExecutor.ExecException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent client's wire format and answer mapping, against a canned server on a unix socket. */
class AgentClientTest {

  @TempDir Path tmp;
  private ServerSocketChannel server;

  @AfterEach
  void close() throws IOException {
    if (server != null) server.close();
  }

  /** Answers as soon as the request's head has arrived, without reading its body. */
  private boolean refuseEarly;

  /**
   * Serves one connection with {@code answer} (after a {@code 100 Continue} when asked); completes
   * with the request it read.
   */
  private CompletableFuture<String> serveOnce(Path socket, String answer) throws IOException {
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    CompletableFuture<String> request = new CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              try (SocketChannel ch = server.accept()) {
                ByteArrayOutputStream in = new ByteArrayOutputStream();
                ByteBuffer buf = ByteBuffer.allocate(8192);
                boolean continued = false;
                while (!complete(in.toString(StandardCharsets.ISO_8859_1))) {
                  String sofar = in.toString(StandardCharsets.ISO_8859_1);
                  if (refuseEarly && sofar.contains("\r\n\r\n")) break;
                  if (!continued && sofar.contains("\r\n\r\n") && sofar.contains("Expect: 100")) {
                    ch.write(ByteBuffer.wrap("HTTP/1.1 100 Continue\r\n\r\n".getBytes()));
                    continued = true;
                  }
                  buf.clear();
                  if (ch.read(buf) < 0) break;
                  in.write(buf.array(), 0, buf.position());
                }
                request.complete(in.toString(StandardCharsets.ISO_8859_1));
                ByteBuffer out = ByteBuffer.wrap(answer.getBytes(StandardCharsets.ISO_8859_1));
                while (out.hasRemaining()) ch.write(out);
              } catch (IOException e) {
                request.completeExceptionally(e);
              }
            });
    t.setDaemon(true);
    t.start();
    return request;
  }

  private static boolean complete(String req) {
    int end = req.indexOf("\r\n\r\n");
    if (end < 0) return false;
    int cl = req.toLowerCase().indexOf("content-length: ");
    if (cl < 0 || cl > end) return true;
    int n = Integer.parseInt(req.substring(cl + 16, req.indexOf("\r\n", cl)).strip());
    return req.length() - end - 4 >= n;
  }

  private static String http(int status, String body) {
    return "HTTP/1.0 " + status + " X\r\nContent-Type: application/json\r\n\r\n" + body;
  }

  private static ExecRequest cmd(String... argv) {
    return new ExecRequest(List.of(argv), null, Map.of("A", "b"), null, 5_000);
  }

  @Test
  void shouldSendTheCommandWithTheSecretAndMapTheResult() throws Exception {
    Path socket = tmp.resolve("a.sock");
    CompletableFuture<String> req =
        serveOnce(
            socket,
            http(
                200,
                "{\"exitCode\":3,\"stdout\":\"hi\\n\",\"stderr\":\"e\",\"stdoutTruncated\":true,"
                    + "\"stderrTruncated\":false,\"timedOut\":false,\"durationMs\":1.5}"));
    ExecResult r = new AgentClient(socket, "s3cret", 1024).exec(cmd("echo", "hi"), null);
    assertThat(r.exitCode()).isEqualTo(3);
    assertThat(new String(r.stdout(), StandardCharsets.UTF_8)).isEqualTo("hi\n");
    assertThat(new String(r.stderr(), StandardCharsets.UTF_8)).isEqualTo("e");
    assertThat(r.stdoutTruncated()).isTrue();
    assertThat(r.durationNs()).isEqualTo(1_500_000);
    String sent = req.get(5, TimeUnit.SECONDS);
    assertThat(sent).startsWith("POST /v1/exec HTTP/1.0\r\n");
    assertThat(sent).contains("Authorization: Bearer s3cret\r\n");
    assertThat(sent).contains("\"command\":[\"echo\",\"hi\"]").contains("\"env\":{\"A\":\"b\"}");
    assertThat(sent).contains("\"timeoutMs\":5000").contains("\"workdir\":\"/workspace\"");
  }

  @Test
  void shouldHandStreamedChunksToTheListener() throws Exception {
    Path socket = tmp.resolve("s.sock");
    CompletableFuture<String> req =
        serveOnce(
            socket,
            "HTTP/1.0 200 OK\r\nContent-Type: application/x-ndjson\r\n\r\n"
                + "{\"stream\":\"stdout\",\"data\":\"one\\n\"}\n"
                + "{\"stream\":\"stderr\",\"data\":\"two\\n\"}\n"
                + "{\"exitCode\":0,\"timedOut\":false,\"durationMs\":2}\n");
    List<String> chunks = new ArrayList<>();
    ExecResult r =
        new AgentClient(socket, null, 1024)
            .exec(cmd("x"), (err, b) -> chunks.add((err ? "E:" : "O:") + new String(b)));
    assertThat(chunks).containsExactly("O:one\n", "E:two\n");
    assertThat(r.exitCode()).isZero();
    assertThat(req.get(5, TimeUnit.SECONDS))
        .startsWith("POST /v1/exec?stream=true ")
        .doesNotContain("Authorization");
  }

  @Test
  void shouldReportBusyAndRefusals() throws Exception {
    Path socket = tmp.resolve("b.sock");
    serveOnce(socket, http(503, "{\"error\":{\"code\":\"exec_busy\",\"message\":\"busy\"}}"));
    assertThatThrownBy(() -> new AgentClient(socket, "s", 1024).exec(cmd("x"), null))
        .isInstanceOfSatisfying(
            ExecException.class, e -> assertThat(e.kind()).isEqualTo(ExecException.Kind.BUSY));
    server.close();
    java.nio.file.Files.delete(socket);
    serveOnce(socket, http(401, "{\"error\":{\"code\":\"unauthorized\",\"message\":\"no\"}}"));
    assertThatThrownBy(() -> new AgentClient(socket, "s", 1024).exec(cmd("x"), null))
        .isInstanceOfSatisfying(
            ExecException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ExecException.Kind.RUNTIME_ERROR);
              assertThat(e.getMessage()).contains("401").contains("no");
            });
  }

  @Test
  void shouldFailWhenTheAgentIsNotThere() {
    assertThatThrownBy(
            () -> new AgentClient(tmp.resolve("none.sock"), "s", 1024).exec(cmd("x"), null))
        .isInstanceOf(IOException.class);
  }

  private ExecResult fileOp(String name, FileScripts.Kind kind, String rel, String answer)
      throws Exception {
    Path socket = tmp.resolve(name + ".sock");
    serveOnce(socket, answer);
    byte[] in = kind == FileScripts.Kind.WRITE ? new byte[] {0, (byte) 0xff, 10} : null;
    return new AgentClient(socket, "s", 4)
        .exec(
            new ExecRequest(FileScripts.command(kind, "/workspace/" + rel), in, null, null, 5_000),
            null);
  }

  @Test
  void shouldSendFileCommandsToTheFileRoutesAndAnswerWithTheScriptsExitCodes() throws Exception {
    ExecResult small =
        fileOp("r1", FileScripts.Kind.READ, "a b/c", "HTTP/1.0 200 OK\r\n\r\n\u0000\u00ff\n");
    assertThat(small.exitCode()).isZero();
    assertThat(small.stdout()).containsExactly(0, 0xff, 10);
    assertThat(small.stdoutTruncated()).isFalse();
    server.close();
    ExecResult big = fileOp("r2", FileScripts.Kind.READ, "f", "HTTP/1.0 200 OK\r\n\r\n123456");
    assertThat(big.stdoutTruncated()).isTrue();
    assertThat(big.stdout()).hasSize(4);
    server.close();
    assertThat(
            fileOp(
                    "r3",
                    FileScripts.Kind.READ,
                    "f",
                    http(413, "{\"error\":{\"code\":\"file_too_large\"}}"))
                .stdoutTruncated())
        .isTrue();
    server.close();
    assertThat(
            fileOp(
                    "r4",
                    FileScripts.Kind.READ,
                    "f",
                    http(404, "{\"error\":{\"code\":\"not_found\"}}"))
                .exitCode())
        .isEqualTo(FileScripts.EXIT_NOT_FOUND);
    server.close();
    assertThat(
            fileOp(
                    "r5",
                    FileScripts.Kind.READ,
                    "f",
                    http(403, "{\"error\":{\"code\":\"path_escapes_workspace\"}}"))
                .exitCode())
        .isEqualTo(FileScripts.EXIT_ESCAPES);
    server.close();
    assertThat(
            fileOp(
                    "r6",
                    FileScripts.Kind.READ,
                    "f",
                    http(400, "{\"error\":{\"code\":\"is_a_directory\"}}"))
                .exitCode())
        .isEqualTo(FileScripts.EXIT_IS_DIRECTORY);
    server.close();
    ExecResult odd =
        fileOp(
            "r7",
            FileScripts.Kind.DELETE,
            "f",
            http(507, "{\"error\":{\"code\":\"no_space\",\"message\":\"full\"}}"));
    assertThat(odd.exitCode()).isEqualTo(1);
    assertThat(new String(odd.stderr())).contains("507").contains("full");
  }

  @Test
  void shouldPutTheBytesOfAnUpload() throws Exception {
    Path socket = tmp.resolve("w.sock");
    CompletableFuture<String> req = serveOnce(socket, http(201, "{\"path\":\"x\",\"size\":3}"));
    ExecResult r =
        new AgentClient(socket, "s", 4)
            .exec(
                new ExecRequest(
                    FileScripts.command(FileScripts.Kind.WRITE, "/workspace/d/%x y"),
                    new byte[] {0, (byte) 0xff, 10},
                    null,
                    null,
                    5_000),
                null);
    assertThat(r.exitCode()).isZero();
    String sent = req.get(5, TimeUnit.SECONDS);
    assertThat(sent).startsWith("PUT /v1/files/d/%25x%20y HTTP/1.1\r\n");
    assertThat(sent).contains("Expect: 100-continue\r\n");
    assertThat(sent).contains("Content-Length: 3\r\n").endsWith("\r\n\r\n\u0000\u00ff\n");
  }

  @Test
  void shouldNotSendAnUploadTheAgentRefusesBeforeReadingIt() throws Exception {
    refuseEarly = true;
    Path socket = tmp.resolve("e.sock");
    CompletableFuture<String> req =
        serveOnce(socket, http(403, "{\"error\":{\"code\":\"path_escapes_workspace\"}}"));
    ExecResult r =
        new AgentClient(socket, "s", 4)
            .exec(
                new ExecRequest(
                    FileScripts.command(FileScripts.Kind.WRITE, "/workspace/etc/evil"),
                    "body".getBytes(StandardCharsets.UTF_8),
                    null,
                    null,
                    5_000),
                null);
    assertThat(r.exitCode()).isEqualTo(FileScripts.EXIT_ESCAPES);
    assertThat(req.get(5, TimeUnit.SECONDS)).endsWith("\r\n\r\n");
  }

  @Test
  void shouldReadTheAnswerOfAnAgentThatRefusedBeforeReadingTheBody() throws Exception {
    refuseEarly = true;
    Path socket = tmp.resolve("u.sock");
    serveOnce(socket, http(401, "{\"error\":{\"code\":\"unauthorized\",\"message\":\"no\"}}"));
    byte[] stdin = new byte[8 << 20];
    java.util.Arrays.fill(stdin, (byte) 'a');
    assertThatThrownBy(
            () ->
                new AgentClient(socket, "wrong", 1024)
                    .exec(new ExecRequest(List.of("cat"), stdin, null, null, 5_000), null))
        .isInstanceOf(ExecException.class)
        .hasMessageContaining("401");
  }

  @Test
  void shouldEncodeEachSegmentOfAPath() {
    assertThat(AgentClient.encodePath("a/b c/ü+?#")).isEqualTo("a/b%20c/%C3%BC%2B%3F%23");
  }
}
