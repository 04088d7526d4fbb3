package io.agentsandbox.scheduler.security;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.scheduler.Main;
import io.agentsandbox.scheduler.SchedulerServer;
import io.agentsandbox.scheduler.TestPools;
import io.agentsandbox.scheduler.backend.local.LocalBackendConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URLEncoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile input against a real server on the loopback (simulated backend, API auth on): a seeded
 * generator sends {@value #REQUESTS} requests over raw sockets across every route — malformed and
 * deeply nested JSON, huge numbers, wrong types, unicode, oversized bodies and headers, path
 * traversal in the file routes, unknown methods, bad tokens, garbage that is not HTTP. Every answer
 * must be below 500; every 4xx a JSON error with a message; no rejected request changes a pool; the
 * server answers normally afterwards. Slow clients trickling a request are cut off by the read
 * timeout while the event loops keep answering others. An integration test (failsafe): a real
 * server, real sockets and real timeouts; it prints the figures SECURITY.md quotes.
 */
class HostileInputIT {

  static final int REQUESTS = 12_000;
  private static final long SEED = Long.getLong("hostile.seed", 0x5EC_0A1DL);
  private static final int CLIENT_THREADS = 8;
  private static final String TOKEN = "fuzz-token-0123456789";
  private static final long READ_TIMEOUT_MS = 1_000;
  private static final long IDLE_TIMEOUT_SECONDS = 1;

  @TempDir static Path dir;
  private static SchedulerServer server;

  @BeforeAll
  static void start() throws Exception {
    Files.writeString(
        dir.resolve("pools.yaml"),
        TestPools.template("shell", null)
            + TestPools.template("py", "gvisor")
            + TestPools.pool("p", "shell", 3, null)
            + TestPools.pool("q", "py", 2, 1));
    Path tokens = dir.resolve("tokens");
    Files.writeString(tokens, TOKEN + " alice\nother-token bob\n");
    server =
        TestPools.await(
            SchedulerServer.start(
                Main.parseConfig(
                    "--port",
                    "0",
                    "--backend",
                    "simulated",
                    "--pools-dir",
                    dir.toString(),
                    "--shards",
                    "2",
                    "--http-instances",
                    "2",
                    "--simulated-latency",
                    "*=0,default=0,gvisor=0"),
                LocalBackendConfig.defaults(),
                Main.parseSecurityConfig(
                    "--api-tokens-file",
                    tokens.toString(),
                    "--request-read-timeout-ms",
                    Long.toString(READ_TIMEOUT_MS),
                    "--idle-timeout-seconds",
                    Long.toString(IDLE_TIMEOUT_SECONDS))));
    TestPools.awaitCondition(
        () -> poolsState().contains("\"ready\":3") && poolsState().contains("\"ready\":2"), 30);
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) server.close().toCompletionStage().toCompletableFuture().get(30, SECONDS);
  }

  // ---------------------------------------------------------------- the fuzz

  @Test
  void shouldAnswerEveryHostileRequestWith4xxJsonAndChangeNothing() throws Exception {
    String before = poolsState();
    Map<Integer, AtomicLong> byStatus = new ConcurrentHashMap<>();
    AtomicLong closedWithoutAnswer = new AtomicLong();
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    ExecutorService clients = Executors.newFixedThreadPool(CLIENT_THREADS);
    long started = System.nanoTime();
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < CLIENT_THREADS; t++) {
        Random random = new Random(SEED + t);
        int share = REQUESTS / CLIENT_THREADS;
        done.add(
            clients.submit(
                () -> {
                  for (int i = 0; i < share && failures.size() < 20; i++) {
                    Generated g = generate(random);
                    Answer a;
                    try {
                      a = exchange(g.bytes());
                    } catch (IOException e) {
                      failures.add("I/O error " + e + " on " + g.describe());
                      continue;
                    }
                    if (a == null) {
                      if (!g.mayBeDropped()) failures.add("no answer to " + g.describe());
                      closedWithoutAnswer.incrementAndGet();
                      continue;
                    }
                    byStatus.computeIfAbsent(a.status(), k -> new AtomicLong()).incrementAndGet();
                    String problem = check(g, a);
                    if (problem != null)
                      failures.add(
                          problem
                              + " <- "
                              + g.describe()
                              + " -> "
                              + a.status()
                              + " "
                              + a.bodyText(300));
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) f.get(120, SECONDS);
    } finally {
      clients.shutdownNow();
    }
    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    System.out.printf(
        "hostile input: %d requests in %d ms, by status %s, %d oversized or non-HTTP requests closed without an answer the client could read%n",
        REQUESTS, elapsedMs, new java.util.TreeMap<>(byStatus), closedWithoutAnswer.get());
    assertThat(failures).as("requests answered wrongly (seed %d)", SEED).isEmpty();
    assertThat(byStatus.keySet()).allMatch(s -> s < 500);
    long answered = byStatus.values().stream().mapToLong(AtomicLong::get).sum();
    assertThat(answered + closedWithoutAnswer.get())
        .isEqualTo(REQUESTS / CLIENT_THREADS * CLIENT_THREADS);
    assertThat(answered).isGreaterThanOrEqualTo(10_000);

    // Nothing changed, and the server still works.
    assertThat(poolsState()).isEqualTo(before);
    Answer claim =
        exchange(
            request(
                "POST",
                "/v1/claims",
                auth(TOKEN) + "content-type: application/json\r\n",
                "{\"pool\":\"p\"}".getBytes(UTF_8)));
    assertThat(claim.status()).as(claim.bodyText(500)).isEqualTo(201);
    String id = new JsonObject(claim.bodyText(10_000)).getString("claimId");
    assertThat(exchange(request("DELETE", "/v1/claims/" + id, auth(TOKEN), null)).status())
        .isEqualTo(204);
  }

  private static String check(Generated g, Answer a) {
    if (a.status() >= 500) return "5xx";
    if (a.status() < 200) return "1xx";
    if (a.status() < 300) {
      if (!g.mayBeOk()) return "accepted a request that must be rejected";
      return null;
    }
    if (a.status() < 400) return "3xx";
    if (g.method().equals("HEAD")) return null;
    try {
      JsonObject error = new JsonObject(a.bodyText(1 << 20)).getJsonObject("error");
      if (error == null) return "4xx without an error object";
      if (error.getInteger("status", -1) != a.status()) return "error.status differs";
      String message = error.getString("message");
      if (message == null || message.isBlank()) return "4xx without a message";
      if (message.contains(TOKEN)) return "token echoed";
      if (message.contains("Exception") || message.contains("\tat "))
        return "stack trace or exception in message";
      if ((a.status() == 401) && a.header("www-authenticate") == null)
        return "401 without WWW-Authenticate";
    } catch (RuntimeException e) {
      return "4xx body is not a JSON object: " + e.getMessage();
    }
    return null;
  }

  // ---------------------------------------------------------------- slow clients

  @Test
  void shouldCutOffClientsThatTrickleARequestWithoutStallingOthers() throws Exception {
    int slow = 16;
    ExecutorService trick = Executors.newFixedThreadPool(slow * 2);
    try {
      List<Future<Trickled>> heads = new ArrayList<>();
      List<Future<Answer>> bodies = new ArrayList<>();
      for (int i = 0; i < slow; i++) {
        heads.add(trick.submit(() -> trickleHead()));
        bodies.add(trick.submit(() -> trickleBody()));
      }
      // While they trickle (each holds its connection until the server cuts it), others get
      // answers: probes run until every trickled head has been cut.
      long worstMs = 0;
      int probes = 0;
      int probesWhileAllTrickle = 0;
      while (!heads.stream().allMatch(Future::isDone)) {
        boolean allTrickling = trickling.get() == slow;
        long t0 = System.nanoTime();
        Answer h = exchange(request("GET", "/healthz", "", null));
        worstMs = Math.max(worstMs, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        assertThat(h.status()).isEqualTo(200);
        probes++;
        if (allTrickling && trickling.get() == slow) probesWhileAllTrickle++;
        LockSupport.parkNanos(
            TimeUnit.MILLISECONDS.toNanos(20)); // pacing of the probes, not synchronisation
      }
      long longestHeadMs = 0;
      for (Future<Trickled> f : heads) {
        Trickled r = f.get(10, SECONDS);
        assertThat(r.sent()).as("trickled head: bytes sent before the cut").isGreaterThan(3);
        assertThat(r.cutByServer()).as("trickled head cut off by the idle timeout").isTrue();
        longestHeadMs = Math.max(longestHeadMs, r.ms());
      }
      for (Future<Answer> f : bodies) {
        Answer a = f.get(10, SECONDS);
        assertThat(a).isNotNull();
        assertThat(a.status()).isEqualTo(408);
        assertThat(new JsonObject(a.bodyText(10_000)).getJsonObject("error").getString("message"))
            .contains("did not arrive");
      }
      System.out.printf(
          "slow clients: %d trickled heads cut after <= %d ms, %d trickled bodies answered 408; %d health probes meanwhile, worst %d ms%n",
          slow, longestHeadMs, slow, probes, worstMs);
      assertThat(probesWhileAllTrickle)
          .as("event loops answer others while every slow client holds its connection")
          .isPositive();
    } finally {
      trick.shutdownNow();
    }
  }

  /** Trickled heads whose connection is open and not yet cut. */
  private static final java.util.concurrent.atomic.AtomicInteger trickling =
      new java.util.concurrent.atomic.AtomicInteger();

  /**
   * One trickled head: how long until the connection ended, bytes sent, and whether the server cut
   * it (rather than the test's own 8 s bound).
   */
  private record Trickled(long ms, int sent, boolean cutByServer) {}

  /** Sends a request head one byte every 50 ms until the server cuts the connection. */
  private static Trickled trickleHead() throws IOException {
    byte[] head =
        ("POST /v1/claims HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + TOKEN
                + "\r\nX-Padding: "
                + "a".repeat(200))
            .getBytes(ISO_8859_1);
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
      s.setSoTimeout(50);
      long t0 = System.nanoTime();
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      int sent = 0;
      boolean cut = false;
      long bound = t0 + TimeUnit.SECONDS.toNanos(8);
      trickling.incrementAndGet();
      try {
        while (!cut && System.nanoTime() < bound) {
          try {
            out.write(head[sent % head.length]);
            out.flush();
            sent++;
          } catch (IOException e) {
            cut = true;
            break;
          }
          try {
            if (in.read() < 0) cut = true; // closed by the server
          } catch (SocketTimeoutException e) {
            // still open: the read timeout paces the trickle at 50 ms a byte
          } catch (IOException e) {
            cut = true;
          }
        }
      } finally {
        trickling.decrementAndGet();
      }
      return new Trickled(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), sent, cut);
    }
  }

  /** Sends a complete head announcing 100 bytes of body, then the body one byte every 100 ms. */
  private static Answer trickleBody() throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
      OutputStream out = s.getOutputStream();
      out.write(
          ("POST /v1/claims HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                  + TOKEN
                  + "\r\ncontent-type: application/json\r\nContent-Length: 100\r\n\r\n")
              .getBytes(ISO_8859_1));
      out.flush();
      s.setSoTimeout(100);
      InputStream in = s.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      long bound = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
      boolean writing = true;
      while (System.nanoTime() < bound) {
        if (writing) {
          try {
            out.write(' ');
            out.flush();
          } catch (IOException e) {
            writing = false;
          }
        }
        try {
          int n = in.read();
          if (n < 0) break;
          got.write(n);
          byte[] rest = in.readNBytes(in.available());
          got.write(rest);
          writing = false;
        } catch (SocketTimeoutException e) {
          // nothing yet
        } catch (IOException e) {
          break;
        }
      }
      return Answer.parse(got.toByteArray());
    }
  }

  // ---------------------------------------------------------------- generation

  private record Generated(
      String method,
      String path,
      byte[] bytes,
      boolean mayBeOk,
      boolean mayBeDropped,
      String kind) {
    String describe() {
      String text =
          new String(bytes, 0, Math.min(bytes.length, 240), ISO_8859_1).replace("\r\n", "\\r\\n");
      return kind + " [" + bytes.length + " bytes] " + text;
    }
  }

  private static final String[] METHODS = {
    "GET",
    "POST",
    "PUT",
    "DELETE",
    "PATCH",
    "OPTIONS",
    "HEAD",
    "TRACE",
    "FOO",
    "PROPFIND",
    "get",
    "CONNECT"
  };
  private static final String[] WEIRD = {
    "",
    " ",
    "\u0000",
    "é",
    "日本語",
    "\uD83D\uDE00",
    "\u202E",
    "\\",
    "\"",
    "'",
    "%",
    "%00",
    "%2e%2e",
    "..",
    "../..",
    "%2F",
    "a".repeat(300),
    "null",
    "true",
    "-1",
    "1e309",
    "9".repeat(400),
    "<script>",
    "${jndi:ldap://x}",
    "\t",
    "\r",
    "\n",
    "*",
    "?",
    "#"
  };

  private static Generated generate(Random r) {
    int kind = r.nextInt(100);
    if (kind < 3) return garbage(r);
    if (kind < 6) return oversizedHeaders(r);
    if (kind < 9) return oversizedBody(r);
    String method;
    String path;
    boolean readOnlyRoute;
    int route = r.nextInt(12);
    switch (route) {
      case 0, 1, 2 -> {
        method = pick(r, "POST", "POST", "POST", METHODS);
        path = "/v1/claims";
        readOnlyRoute = false;
      }
      case 3 -> {
        method = pick(r, "GET", "DELETE", METHODS);
        path = "/v1/claims/" + hostileSegment(r);
        readOnlyRoute = method.equals("GET");
      }
      case 4 -> {
        method = pick(r, "GET", "GET", METHODS);
        path =
            "/v1/pools"
                + (r.nextBoolean() ? "" : "/" + hostileSegment(r) + "/" + hostileSegment(r));
        readOnlyRoute = true;
      }
      case 5, 6 -> {
        method = pick(r, "POST", "POST", METHODS);
        path =
            "/v1/sandboxes/"
                + hostileSegment(r)
                + "/exec"
                + (r.nextInt(4) == 0 ? "?stream=" + hostileSegment(r) : "");
        readOnlyRoute = false;
      }
      case 7, 8 -> {
        method = pick(r, "GET", "PUT", METHODS);
        path = "/v1/sandboxes/" + hostileSegment(r) + "/files/" + traversal(r);
        readOnlyRoute = false;
      }
      case 9 -> {
        method = pick(r, "GET", "POST", METHODS);
        path = pick(r, "/healthz", "/readyz", new String[] {"/metrics", "/openapi.yaml"});
        readOnlyRoute = true;
      }
      case 10 -> {
        method = pick(r, "GET", "POST", METHODS);
        path = "/" + hostileSegment(r) + (r.nextBoolean() ? "/" + hostileSegment(r) : "");
        readOnlyRoute = false;
      }
      default -> {
        method = pick(r, "GET", "DELETE", METHODS);
        path = "/v1/" + hostileSegment(r);
        readOnlyRoute = false;
      }
    }
    StringBuilder headers = new StringBuilder();
    int authKind = r.nextInt(10);
    if (authKind < 7) headers.append(auth(TOKEN));
    else if (authKind == 7)
      headers.append("Authorization: Bearer ").append(ascii(hostile(r))).append("\r\n");
    else if (authKind == 8)
      headers
          .append("Authorization: ")
          .append(
              pick(
                  r,
                  "Basic YTpi",
                  "Bearer",
                  "bearer  " + TOKEN + "x",
                  new String[] {"Token " + TOKEN}))
          .append("\r\n");
    if (r.nextInt(4) == 0)
      headers.append("X-Tenant: ").append(ascii(pick(r, "alice", "bob", WEIRD))).append("\r\n");
    int ct = r.nextInt(10);
    if (ct < 7) headers.append("content-type: application/json\r\n");
    else if (ct == 7)
      headers
          .append("content-type: ")
          .append(
              pick(
                  r,
                  "text/plain",
                  "application/json; charset=utf-16",
                  new String[] {
                    "multipart/form-data; boundary=x", "application/x-www-form-urlencoded"
                  }))
          .append("\r\n");
    byte[] body = null;
    boolean hasBody =
        method.equals("POST")
            || method.equals("PUT")
            || method.equals("PATCH")
            || r.nextInt(8) == 0;
    if (hasBody) body = hostileBody(r, path.equals("/v1/claims"));
    // A GET on a read-only route may be answered 200 (it is not rejected); nothing else may
    // succeed.
    boolean mayBeOk =
        readOnlyRoute
            && (method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS"));
    return new Generated(
        method,
        path,
        request(method, path, headers.toString(), body),
        mayBeOk,
        false,
        "route" + route);
  }

  private static Generated garbage(Random r) {
    byte[] junk;
    switch (r.nextInt(5)) {
      case 0 -> {
        junk = new byte[5 + r.nextInt(600)];
        r.nextBytes(junk);
        System.arraycopy("\r\n\r\n".getBytes(ISO_8859_1), 0, junk, junk.length - 4, 4);
      }
      case 1 -> junk = ("GET /v1/pools HTTP/9.9\r\n\r\n").getBytes(ISO_8859_1);
      case 2 ->
          junk =
              ("POST /v1/claims HTTP/1.1\r\nHost: x\r\n"
                      + auth(TOKEN)
                      + "Transfer-Encoding: chunked\r\ncontent-type: application/json\r\n\r\nZZZ\r\n{}\r\n0\r\n\r\n")
                  .getBytes(ISO_8859_1);
      case 3 ->
          junk =
              ("GET /" + "\u0001\u0002 \u007f" + " HTTP/1.1\r\nHost: x\r\n\r\n")
                  .getBytes(ISO_8859_1);
      default ->
          junk =
              ("POST /v1/claims HTTP/1.1\r\nHost: x\r\n"
                      + auth(TOKEN)
                      + "Content-Length: -5\r\n\r\n{}")
                  .getBytes(ISO_8859_1);
    }
    return new Generated("?", "?", junk, false, true, "garbage");
  }

  private static Generated oversizedHeaders(Random r) {
    String path =
        pick(r, "/v1/claims", "/v1/pools", new String[] {"/healthz", "/v1/sandboxes/x/files/a"});
    String headers =
        r.nextBoolean()
            ? "X-Big: " + "b".repeat(17_000 + r.nextInt(20_000)) + "\r\n" + auth(TOKEN)
            : auth(TOKEN) + "X-Many: 1\r\n".repeat(2_000);
    String longPath = r.nextBoolean() ? path : path + "?" + "q".repeat(9_000);
    return new Generated(
        "GET", longPath, request("GET", longPath, headers, null), false, true, "big-headers");
  }

  private static Generated oversizedBody(Random r) {
    String path = r.nextBoolean() ? "/v1/claims" : "/v1/sandboxes/sb-1/exec";
    byte[] body = new byte[64 * 1024 + 1 + r.nextInt(200_000)];
    java.util.Arrays.fill(body, (byte) ' ');
    body[0] = '{';
    body[body.length - 1] = '}';
    return new Generated(
        "POST",
        path,
        request("POST", path, auth(TOKEN) + "content-type: application/json\r\n", body),
        false,
        true,
        "big-body");
  }

  private static byte[] hostileBody(Random r, boolean claim) {
    int k = r.nextInt(16);
    String s =
        switch (k) {
          case 0 -> "";
          case 1 -> "[".repeat(1 + r.nextInt(5_000)) + "]".repeat(r.nextInt(5_000));
          case 2 -> "{\"a\":".repeat(1 + r.nextInt(3_000)) + "1" + "}".repeat(r.nextInt(3_000));
          case 3 -> "{\"pool\":\"p\"";
          case 4 -> "null";
          case 5 -> "\"" + hostile(r) + "\"";
          case 6 ->
              "{\"pool\":\"p\",\"waitMs\":"
                  + pick(
                      r,
                      "1e400",
                      "-1",
                      new String[] {
                        "99999999999999999999999", "\"10\"", "1.5", "NaN", "[]", "{}", "true"
                      })
                  + "}";
          case 7 ->
              "{\"pool\":"
                  + pick(
                      r,
                      "123",
                      "null",
                      new String[] {
                        "[\"p\"]",
                        "{\"name\":\"p\"}",
                        "\"" + hostile(r) + "\"",
                        "\"p/../q\"",
                        "\"../p\""
                      })
                  + "}";
          case 8 ->
              "{\"pool\":\"p\",\"priority\":"
                  + pick(
                      r,
                      "1001",
                      "-1001",
                      new String[] {"2147483648", "-9223372036854775809", "\"high\""})
                  + "}";
          case 9 -> "{\"pool\":\"p\",\"onEmpty\":\"" + hostile(r) + "\"}";
          case 10 -> "{\"pool\":\"p\",\"tenant\":\"" + pick(r, "bob", "", WEIRD) + "\"}";
          case 11 ->
              "{\"pool\":\"p\",\"ttlSeconds\":"
                  + pick(r, "-5", "1e20", new String[] {"604801", "\"x\""})
                  + "}";
          case 12 -> "{\"pool\":\"p\",\"" + hostile(r) + "\":1}";
          case 13 ->
              "{\"command\":"
                  + pick(
                      r, "[]", "\"ls\"", new String[] {"[1,2]", "[\"" + hostile(r) + "\"]", "null"})
                  + ",\"timeoutMs\":"
                  + pick(r, "-1", "1e99", new String[] {"\"5\"", "3600001"})
                  + "}";
          case 14 ->
              "{\"pool\":\"p\",\"pool\":\"q\",\"namespace\":\""
                  + pick(r, "UPPER", "a/b", WEIRD)
                  + "\"}";
          default -> {
            byte[] b = new byte[r.nextInt(2_000)];
            r.nextBytes(b);
            yield new String(b, ISO_8859_1);
          }
        };
    if (!claim && r.nextBoolean())
      s = "{\"command\":[\"sh\",\"-c\",\"" + hostile(r) + "\"],\"env\":{\"" + hostile(r) + "\":1}}";
    return s.getBytes(r.nextInt(5) == 0 ? ISO_8859_1 : UTF_8);
  }

  private static String hostileSegment(Random r) {
    String raw =
        r.nextInt(3) == 0
            ? pick(r, "cl-0-abc", "cl-1-zzzz", new String[] {"p", "default", "sb-1"})
            : hostile(r);
    if (raw.isEmpty()) raw = "x";
    return URLEncoder.encode(raw, UTF_8).replace("+", "%20");
  }

  private static String traversal(Random r) {
    return pick(
        r,
        "../etc/passwd",
        "..%2F..%2Fetc%2Fshadow",
        new String[] {
          "%2e%2e/%2e%2e/root",
          "a/../../b",
          "/etc/passwd",
          "a/%00/b",
          "....//....//x",
          "%252e%252e/x",
          "a\\..\\..\\b",
          hostileSegment(r),
          "ok.txt",
          "dir/sub/" + hostileSegment(r)
        });
  }

  private static String hostile(Random r) {
    StringBuilder b = new StringBuilder();
    int parts = 1 + r.nextInt(4);
    for (int i = 0; i < parts; i++) b.append(WEIRD[r.nextInt(WEIRD.length)]);
    if (r.nextInt(6) == 0) b.appendCodePoint(0x10000 + r.nextInt(0x10FFFF - 0x10000));
    return b.toString();
  }

  private static String ascii(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) b.append(c >= 0x20 && c < 0x7f ? c : '?');
    return b.toString();
  }

  /** One of the options, uniformly; a String[] option contributes each of its elements. */
  private static String pick(Random r, Object... options) {
    List<String> all = new ArrayList<>();
    for (Object o : options) {
      if (o instanceof String[] many) all.addAll(List.of(many));
      else all.add((String) o);
    }
    return all.get(r.nextInt(all.size()));
  }

  private static String auth(String token) {
    return "Authorization: Bearer " + token + "\r\n";
  }

  private static byte[] request(String method, String path, String headers, byte[] body) {
    StringBuilder head =
        new StringBuilder()
            .append(method)
            .append(' ')
            .append(path)
            .append(" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n")
            .append(headers);
    if (body != null) head.append("Content-Length: ").append(body.length).append("\r\n");
    head.append("\r\n");
    byte[] h = head.toString().getBytes(UTF_8);
    if (body == null) return h;
    byte[] all = new byte[h.length + body.length];
    System.arraycopy(h, 0, all, 0, h.length);
    System.arraycopy(body, 0, all, h.length, body.length);
    return all;
  }

  // ---------------------------------------------------------------- the wire

  private record Answer(int status, Map<String, String> headers, byte[] body) {
    String header(String name) {
      return headers.get(name);
    }

    String bodyText(int max) {
      return new String(body, 0, Math.min(body.length, max), UTF_8);
    }

    /** Parses an HTTP/1.1 answer (content-length or chunked); null when there are no bytes. */
    static Answer parse(byte[] raw) {
      if (raw.length == 0) return null;
      String text = new String(raw, ISO_8859_1);
      int end = text.indexOf("\r\n\r\n");
      if (end < 0)
        throw new IllegalStateException(
            "truncated answer: " + text.substring(0, Math.min(200, text.length())));
      String[] lines = text.substring(0, end).split("\r\n");
      int status = Integer.parseInt(lines[0].split(" ")[1]);
      Map<String, String> headers = new java.util.HashMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon > 0)
          headers.put(
              lines[i].substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT),
              lines[i].substring(colon + 1).trim());
      }
      byte[] body = java.util.Arrays.copyOfRange(raw, end + 4, raw.length);
      if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) body = dechunk(body);
      return new Answer(status, headers, body);
    }

    private static byte[] dechunk(byte[] b) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      int i = 0;
      while (i < b.length) {
        int lineEnd = i;
        while (lineEnd + 1 < b.length && !(b[lineEnd] == '\r' && b[lineEnd + 1] == '\n')) lineEnd++;
        int size =
            Integer.parseInt(new String(b, i, lineEnd - i, ISO_8859_1).split(";")[0].trim(), 16);
        if (size == 0) break;
        out.write(b, lineEnd + 2, Math.min(size, b.length - lineEnd - 2));
        i = lineEnd + 2 + size + 2;
      }
      return out.toByteArray();
    }
  }

  /**
   * One request on a fresh connection; reads until the server closes it. Null when nothing came
   * back.
   */
  private static Answer exchange(byte[] request) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
      s.setSoTimeout(15_000);
      try {
        s.getOutputStream().write(request);
        s.getOutputStream().flush();
      } catch (IOException e) {
        // The server may answer and close before reading everything (413, 431): read what it said.
      }
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      try {
        s.getInputStream().transferTo(got);
      } catch (SocketTimeoutException e) {
        throw e;
      } catch (IOException e) {
        // reset after the answer: keep what arrived
      }
      return Answer.parse(got.toByteArray());
    }
  }

  /** Every pool's counts, as the API reports them (in order). */
  private static String poolsState() {
    try {
      Answer a = exchange(request("GET", "/v1/pools", auth(TOKEN), null));
      JsonArray pools = new JsonObject(a.bodyText(1 << 20)).getJsonArray("pools");
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < pools.size(); i++) {
        JsonObject p = pools.getJsonObject(i);
        b.append(
            new JsonObject()
                .put("name", p.getString("name"))
                .put("ready", p.getValue("ready"))
                .put("claimed", p.getValue("claimed"))
                .put("starting", p.getValue("starting"))
                .put("pending", p.getValue("pending"))
                .encode());
      }
      return b.toString();
    } catch (IOException e) {
      return "unreachable: " + e;
    }
  }
}
