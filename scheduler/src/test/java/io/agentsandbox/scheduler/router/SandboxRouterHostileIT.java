package io.agentsandbox.scheduler.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile input to the sandbox router, against a real agent: traversal in paths, huge bodies, slow
 * clients, bad, duplicate and oversized {@code X-Sandbox-*} headers, another sandbox's claim token.
 * Every answer is a 4xx (a slow client: cut off within its timeout) and nothing outside the
 * workspace, nor inside it, changes.
 */
class SandboxRouterHostileIT {

  @TempDir static Path dir;

  private static RouterFixture fixture;
  private static RouterFixture.Server server;
  private static JsonObject claimA;
  private static JsonObject claimB;
  private static Path outside;

  @BeforeAll
  static void start() throws Exception {
    fixture = new RouterFixture(dir);
    Path tokens = dir.resolve("api-tokens");
    Files.writeString(tokens, "tok-alice alice\n");
    server = fixture.server(4, "--api-tokens-file", tokens.toString());
    server.awaitReady(4, "tok-alice");
    claimA = server.claim("tok-alice");
    claimB = server.claim("tok-alice");
    outside = dir.resolve("outside.txt");
    Files.writeString(outside, "untouched");
    Files.writeString(fixture.workspace.resolve("kept.txt"), "kept");
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) fixture.close();
  }

  private static String nameA() {
    return RouterFixture.sandboxName(claimA);
  }

  private static String tokenA() {
    return claimA.getString("token");
  }

  private static HttpRequest.Builder toA(String path) {
    return server.routed(nameA(), path).header("Authorization", "Bearer " + tokenA());
  }

  /** The workspace and the file beside it are as {@link #start} left them. */
  private static void assertNothingChanged() throws IOException {
    assertThat(Files.readString(outside)).isEqualTo("untouched");
    try (Stream<Path> files = Files.walk(fixture.workspace)) {
      assertThat(files.filter(p -> !p.equals(fixture.workspace)).map(Path::getFileName).toList())
          .extracting(Path::toString)
          .containsExactly("kept.txt");
    }
    assertThat(Files.readString(fixture.workspace.resolve("kept.txt"))).isEqualTo("kept");
  }

  @Test
  void shouldRefuseTraversalInPaths() throws Exception {
    String out = "..%2F" + outside.getFileName();
    for (String path :
        List.of(
            "/download/" + out,
            "/download/..%2F..%2F..%2Fetc%2Fpasswd",
            "/download/%2Fetc%2Fpasswd",
            "/download/kept.txt%00.png",
            "/list/..",
            "/list/%2Fetc",
            "/exists/..%2F" + outside.getFileName())) {
      HttpResponse<String> r = server.send(toA(path));
      assertThat(r.statusCode()).as(path + ": " + r.body()).isBetween(400, 499);
      assertThat(r.body()).doesNotContain("root:").doesNotContain("untouched");
    }
    String boundary = "b0undary";
    for (String filename : List.of("../outside.txt", "/tmp/evil", "a/../../evil", "..")) {
      String body =
          "--"
              + boundary
              + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
              + filename
              + "\"\r\nContent-Type: application/octet-stream\r\n\r\nevil\r\n--"
              + boundary
              + "--\r\n";
      HttpResponse<String> r =
          server.send(
              toA("/upload")
                  .header("content-type", "multipart/form-data; boundary=" + boundary)
                  .POST(HttpRequest.BodyPublishers.ofString(body)));
      assertThat(r.statusCode()).as(filename + ": " + r.body()).isBetween(400, 499);
    }
    assertNothingChanged();
  }

  @Test
  void shouldRefuseAHugeBodyWithoutBufferingIt() throws Exception {
    // 24 MiB of JSON, over the agent's 16 MiB exec body limit; streamed, never held whole.
    byte[] chunk = new byte[1 << 20];
    java.util.Arrays.fill(chunk, (byte) 'a');
    HttpRequest.BodyPublisher huge =
        HttpRequest.BodyPublishers.concat(
            HttpRequest.BodyPublishers.ofString("{\"command\":\"echo "),
            HttpRequest.BodyPublishers.ofByteArrays(java.util.Collections.nCopies(24, chunk)),
            HttpRequest.BodyPublishers.ofString("\"}"));
    HttpResponse<String> r;
    try {
      r = server.send(toA("/execute").header("content-type", "application/json").POST(huge));
    } catch (IOException e) {
      // The agent may answer 413 and close before the whole body is sent: a reset is fine too.
      r = null;
    }
    if (r != null) assertThat(r.statusCode()).as(r.body()).isEqualTo(413);
    assertThat(server.send(toA("/exists/kept.txt")).statusCode()).isEqualTo(200);
    assertNothingChanged();
  }

  @Test
  void shouldCutOffASlowClientWithinItsTimeout() throws Exception {
    String head =
        "POST /execute HTTP/1.1\r\nHost: x\r\nX-Sandbox-ID: "
            + nameA()
            + "\r\nX-Sandbox-Timeout: 2\r\nAuthorization: Bearer "
            + tokenA()
            + "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"comm";
    long t0 = System.nanoTime();
    Answer a = exchange(head.getBytes(StandardCharsets.US_ASCII), 10_000, true);
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertThat(ms).as("cut off after " + ms + " ms").isLessThan(6_000);
    assertThat(a.closed).as(a.text).isTrue();
    assertThat(a.status).as(a.text).isEqualTo(408);
    assertNothingChanged();
  }

  @Test
  void shouldRefuseBadDuplicateAndOversizedSandboxHeaders() throws Exception {
    String auth = "Authorization: Bearer " + tokenA() + "\r\n";
    String id = "X-Sandbox-ID: " + nameA() + "\r\n";
    List<String> headerSets =
        List.of(
            id + id,
            "X-Sandbox-ID: " + nameA() + ", " + RouterFixture.sandboxName(claimB) + "\r\n",
            "X-Sandbox-ID: \r\n",
            "X-Sandbox-ID: " + "a".repeat(64) + "\r\n",
            "X-Sandbox-ID: " + "a".repeat(20_000) + "\r\n",
            "X-Sandbox-ID: ../" + nameA() + "\r\n",
            "X-Sandbox-ID: " + nameA().toUpperCase() + "\r\n",
            id + "X-Sandbox-Namespace: default\r\nX-Sandbox-Namespace: other\r\n",
            id + "X-Sandbox-Namespace: ../kube-system\r\n",
            id + "X-Sandbox-Namespace: \r\n",
            id + "X-Sandbox-Port: 8888\r\nX-Sandbox-Port: 8888\r\n",
            id + "X-Sandbox-Port: 0\r\n",
            id + "X-Sandbox-Port: 65536\r\n",
            id + "X-Sandbox-Port: 8888abc\r\n",
            id + "X-Sandbox-Port: -1\r\n",
            id + "X-Sandbox-Port: 80\r\n",
            id + "X-Sandbox-Timeout: 0\r\n",
            id + "X-Sandbox-Timeout: 99999999999999999999\r\n",
            id + "X-Sandbox-Timeout: 1.5\r\n",
            id + "X-Sandbox-Timeout: 5\r\nX-Sandbox-Timeout: 3600\r\n");
    for (String headers : headerSets) {
      byte[] req =
          ("GET /exists/kept.txt HTTP/1.1\r\nHost: x\r\n" + auth + headers + "\r\n")
              .getBytes(StandardCharsets.US_ASCII);
      Answer a = exchange(req, 10_000, false);
      String shown = headers.length() > 200 ? headers.substring(0, 200) + "..." : headers;
      assertThat(a.status).as(shown + " -> " + a.text).isBetween(400, 499);
    }
    assertNothingChanged();
  }

  @Test
  void shouldNotLetOneSandboxsClaimTokenReachAnother() throws Exception {
    String nameB = RouterFixture.sandboxName(claimB);
    String boundary = "b0undary";
    String body =
        "--"
            + boundary
            + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"planted.txt\""
            + "\r\nContent-Type: application/octet-stream\r\n\r\nplanted\r\n--"
            + boundary
            + "--\r\n";
    List<HttpRequest.Builder> attempts =
        List.of(
            server.routed(nameB, "/exists/kept.txt"),
            server.routed(nameB, "/download/kept.txt"),
            server
                .routed(nameB, "/execute")
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"command\":\"touch planted\"}")),
            server
                .routed(nameB, "/upload")
                .header("content-type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    for (HttpRequest.Builder b : attempts) {
      HttpResponse<String> r = server.send(b.header("Authorization", "Bearer " + tokenA()));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
      assertThat(r.body()).doesNotContain("kept");
    }
    // The agent's own secret is not a way in either: the router wants a claim or API token.
    HttpResponse<String> secret =
        server.send(
            server
                .routed(nameB, "/exists/kept.txt")
                .header("Authorization", "Bearer " + RouterFixture.SECRET));
    assertThat(secret.statusCode()).isEqualTo(403);
    assertNothingChanged();
  }

  @Test
  void shouldAnswerAnH2cUpgradeAttemptWithoutHanging() throws Exception {
    byte[] req =
        ("GET /exists/kept.txt HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                + "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"
                + "X-Sandbox-ID: "
                + nameA()
                + "\r\nX-Sandbox-Timeout: 3\r\nAuthorization: Bearer "
                + tokenA()
                + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    long t0 = System.nanoTime();
    Answer a = exchange(req, 10_000, false);
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertThat(ms).as("answered after " + ms + " ms").isLessThan(6_000);
    assertThat(a.status).as(a.text).isIn(101, 200, 400);
  }

  /** What came back on a raw connection: the status (0: none), the text, whether it was closed. */
  private record Answer(int status, String text, boolean closed) {}

  /**
   * Sends {@code request} raw and reads until the peer's close or the limit, or (unless {@code
   * untilClose}) the answer's end.
   */
  private static Answer exchange(byte[] request, int limitMs, boolean untilClose)
      throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
      s.setSoTimeout(500);
      OutputStream out = s.getOutputStream();
      try {
        out.write(request);
        out.flush();
      } catch (IOException e) {
        // The server may refuse an oversized head before it is all sent.
      }
      InputStream in = s.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(limitMs);
      boolean closed = false;
      while (System.nanoTime() < deadline) {
        int n;
        try {
          n = in.read(buf);
        } catch (SocketTimeoutException e) {
          if (!untilClose && complete(got.toString(StandardCharsets.ISO_8859_1))) break;
          continue;
        } catch (IOException e) {
          closed = true;
          break;
        }
        if (n < 0) {
          closed = true;
          break;
        }
        got.write(buf, 0, n);
      }
      String text = got.toString(StandardCharsets.ISO_8859_1);
      int status = 0;
      if (text.startsWith("HTTP/1.")) status = Integer.parseInt(text.substring(9, 12));
      return new Answer(status, text, closed);
    }
  }

  /** True once a whole answer with a Content-Length body is in. */
  private static boolean complete(String text) {
    int end = text.indexOf("\r\n\r\n");
    if (end < 0) return false;
    String head = text.substring(0, end).toLowerCase(java.util.Locale.ROOT);
    int i = head.indexOf("content-length:");
    if (i < 0) return true;
    int eol = head.indexOf("\r\n", i);
    long len = Long.parseLong(head.substring(i + 15, eol < 0 ? head.length() : eol).trim());
    return text.length() - end - 4 >= len;
  }
}
