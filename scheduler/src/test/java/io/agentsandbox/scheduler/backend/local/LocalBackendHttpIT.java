package io.agentsandbox.scheduler.backend.local;

import static io.agentsandbox.scheduler.TestPools.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.scheduler.Main;
import io.agentsandbox.scheduler.SchedulerServer;
import io.agentsandbox.scheduler.TestPools;
import io.agentsandbox.scheduler.logging.AuditLog;
import io.agentsandbox.scheduler.logging.LogCapture;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The local backend end to end, with REAL gVisor and bubblewrap sandboxes: claim, exec, isolation,
 * files, tokens, release. Needs runsc and bwrap (scripts/install-runtimes.sh) and root for gVisor;
 * it fails, rather than skips, when they are missing, so CI cannot pass without testing them.
 */
class LocalBackendHttpIT {

  static final String GVISOR = "py-gvisor";
  static final String BWRAP = "sh-bwrap";
  static final String KATA = "vm-kata";

  @TempDir static Path tmp;
  static SchedulerServer server;
  static Vertx client;
  static WebClient web;

  @BeforeAll
  static void start() throws Exception {
    Path pools = Files.createDirectories(tmp.resolve("pools"));
    Files.writeString(
        pools.resolve("pools.yaml"),
        TestPools.template(GVISOR, "gvisor")
            + TestPools.pool(GVISOR, GVISOR, 2, null)
            + TestPools.template(BWRAP, null)
            + TestPools.pool(BWRAP, BWRAP, 2, null)
            + TestPools.template(KATA, "kata")
            + TestPools.pool(KATA, KATA, 1, null));
    // bwrap sandboxes run as uid 65534, which must be able to walk down to their workspaces.
    Files.setPosixFilePermissions(
        tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
    Path state = tmp.resolve("state");
    server =
        await(
            SchedulerServer.start(
                Main.parseConfig(
                    "--port",
                    "0",
                    "--backend",
                    "local",
                    "--pools-dir",
                    pools.toString(),
                    "--shards",
                    "2",
                    "--http-instances",
                    "1"),
                Main.parseLocalConfig(
                    "--state-dir", state.toString(), "--exec-output-limit-bytes", "65536")));
    client = Vertx.vertx();
    web =
        WebClient.create(
            client,
            new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(server.port()));
    TestPools.awaitReady(web, new String[] {GVISOR, BWRAP}, 2);
  }

  @AfterAll
  static void stop() throws Exception {
    if (web != null) web.close();
    if (client != null)
      client.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    if (server != null) {
      LocalProvisioner local = (LocalProvisioner) server.provisioner();
      server.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      assertThat(local.sandboxCount()).isZero();
      assertThat(Files.list(local.stateDir().resolve("sandboxes")).count())
          .as("no sandbox dir left after shutdown")
          .isZero();
    }
  }

  // ---------------------------------------------------------------- helpers

  record Claim(String claimId, String sandbox, String token) {}

  static Claim claim(String pool) throws Exception {
    HttpResponse<Buffer> r =
        await(
            web.post("/v1/claims")
                .putHeader("content-type", "application/json")
                .sendBuffer(
                    Buffer.buffer(
                        new JsonObject().put("pool", pool).put("waitMs", 30_000).encode())));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    JsonObject b = r.bodyAsJsonObject();
    assertThat(b.getJsonObject("sandbox").getString("backend")).isEqualTo("local");
    return new Claim(
        b.getString("claimId"), b.getJsonObject("sandbox").getString("name"), b.getString("token"));
  }

  static void release(Claim c) throws Exception {
    assertThat(await(web.delete("/v1/claims/" + c.claimId()).send()).statusCode()).isEqualTo(204);
  }

  static HttpResponse<Buffer> execRaw(Claim c, String token, JsonObject body) throws Exception {
    var req =
        web.post("/v1/sandboxes/" + c.sandbox() + "/exec")
            .putHeader("content-type", "application/json");
    if (token != null) req.putHeader("Authorization", "Bearer " + token);
    return await(req.sendBuffer(body.toBuffer()));
  }

  static JsonObject exec(Claim c, String... command) throws Exception {
    HttpResponse<Buffer> r =
        execRaw(
            c,
            c.token(),
            new JsonObject().put("command", new JsonArray(List.of((Object[]) command))));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject();
  }

  static JsonObject sh(Claim c, String script) throws Exception {
    return exec(c, "/bin/sh", "-c", script);
  }

  // ---------------------------------------------------------------- tests

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {GVISOR, BWRAP})
  void shouldIsolateSandbox(String pool) throws Exception {
    Claim c = claim(pool);
    try {
      assertThat(exec(c, "echo", "hello").getString("stdout")).isEqualTo("hello\n");
      // no network but loopback
      assertThat(
              sh(c, "cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '")
                  .getString("stdout")
                  .strip())
          .isEqualTo("lo");
      // the server's own port is unreachable (its own network namespace)
      JsonObject connect =
          exec(
              c,
              "python3",
              "-c",
              "import socket; s=socket.socket(); s.settimeout(2); print(s.connect_ex(('127.0.0.1', "
                  + server.port()
                  + ")))");
      assertThat(connect.getString("stdout").strip()).isNotEqualTo("0");
      // read-only host files
      for (String dir : List.of("/etc", "/usr")) {
        assertThat(sh(c, "echo x > " + dir + "/agent-sandbox-probe").getInteger("exitCode"))
            .as(dir)
            .isNotZero();
      }
      assertThat(Files.exists(Path.of("/etc/agent-sandbox-probe"))).isFalse();
      // the host's /root and /tmp are not there; its /tmp is a private tmpfs
      Path hostMarker = Files.writeString(tmp.resolve("host-marker"), "secret");
      assertThat(sh(c, "cat " + hostMarker).getInteger("exitCode")).isNotZero();
      assertThat(sh(c, "echo private > /tmp/t && cat /tmp/t").getString("stdout"))
          .isEqualTo("private\n");
      assertThat(Files.exists(Path.of("/tmp/t"))).isFalse();
      // only the sandbox's processes
      JsonObject ps = sh(c, "ls /proc | grep -c '^[0-9]'");
      assertThat(Integer.parseInt(ps.getString("stdout").strip())).isLessThan(10);
      // /workspace is writable and is the home
      assertThat(
              sh(c, "echo data > /workspace/f && cat /workspace/f && echo $HOME && pwd")
                  .getString("stdout"))
          .isEqualTo("data\n/workspace\n/workspace\n");
      if (pool.equals(GVISOR)) {
        assertThat(sh(c, "dmesg; uname -a").getString("stdout"))
            .containsAnyOf("gVisor", "Starting gVisor");
      } else {
        assertThat(sh(c, "uname -r").getString("stdout").strip())
            .isEqualTo(System.getProperty("os.version"));
      }
    } finally {
      release(c);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {GVISOR, BWRAP})
  void shouldRunExecWithExitCodeStderrStdinTimeoutAndTruncation(String pool) throws Exception {
    Claim c = claim(pool);
    try {
      JsonObject r = sh(c, "echo out; echo err >&2; exit 3");
      assertThat(r.getInteger("exitCode")).isEqualTo(3);
      assertThat(r.getString("stdout")).isEqualTo("out\n");
      assertThat(r.getString("stderr")).isEqualTo("err\n");
      assertThat(r.getBoolean("timedOut")).isFalse();
      assertThat(r.getString("execPath")).as("served by the sandbox's agent").isEqualTo("agent");

      HttpResponse<Buffer> withStdin =
          execRaw(
              c,
              c.token(),
              new JsonObject()
                  .put("command", new JsonArray().add("cat"))
                  .put("stdin", "from stdin")
                  .put("env", new JsonObject().put("FOO", "bar")));
      assertThat(withStdin.bodyAsJsonObject().getString("stdout")).isEqualTo("from stdin");
      assertThat(
              execRaw(
                      c,
                      c.token(),
                      new JsonObject()
                          .put("command", new JsonArray().add("/bin/sh").add("-c").add("echo $FOO"))
                          .put("env", new JsonObject().put("FOO", "bar"))
                          .put("workdir", "/tmp"))
                  .bodyAsJsonObject()
                  .getString("stdout"))
          .isEqualTo("bar\n");

      long t0 = System.nanoTime();
      JsonObject slow =
          execRaw(
                  c,
                  c.token(),
                  new JsonObject()
                      .put("command", new JsonArray().add("sleep").add("30"))
                      .put("timeoutMs", 500))
              .bodyAsJsonObject();
      assertThat(slow.getBoolean("timedOut")).as(slow.encode()).isTrue();
      assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0)).isLessThan(10);
      // the sandbox survives its command's timeout
      assertThat(exec(c, "echo", "alive").getString("stdout")).isEqualTo("alive\n");

      JsonObject big = sh(c, "head -c 200000 /dev/zero | tr '\\0' a");
      assertThat(big.getBoolean("stdoutTruncated")).isTrue();
      assertThat(big.getString("stdout")).hasSize(65536);
    } finally {
      release(c);
    }
  }

  @Test
  void shouldRoundTripFilesAndRefuseTraversal() throws Exception {
    Claim c = claim(BWRAP);
    try (LogCapture audit = new LogCapture(AuditLog.LOGGER)) {
      String base = "/v1/sandboxes/" + c.sandbox() + "/files/";
      HttpResponse<Buffer> put =
          await(
              web.put(base + "dir/sub/hello.txt")
                  .putHeader("Authorization", "Bearer " + c.token())
                  .sendBuffer(Buffer.buffer("hi there")));
      assertThat(put.statusCode()).as(put.bodyAsString()).isEqualTo(201);
      assertThat(sh(c, "cat /workspace/dir/sub/hello.txt").getString("stdout"))
          .isEqualTo("hi there");
      HttpResponse<Buffer> get =
          await(
              web.get(base + "dir/sub/hello.txt")
                  .putHeader("Authorization", "Bearer " + c.token())
                  .send());
      assertThat(get.statusCode()).isEqualTo(200);
      assertThat(get.bodyAsString()).isEqualTo("hi there");

      for (String bad :
          List.of("../etc/passwd", "a/../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2E%2E/x")) {
        HttpResponse<Buffer> r =
            await(web.get(base + bad).putHeader("Authorization", "Bearer " + c.token()).send());
        assertThat(r.statusCode()).as(bad + ": " + r.bodyAsString()).isEqualTo(400);
      }
      // a symlink out of the workspace is refused
      sh(c, "ln -s /etc/passwd /workspace/link; ln -s /etc /workspace/etcdir");
      assertThat(
              await(web.get(base + "link").putHeader("Authorization", "Bearer " + c.token()).send())
                  .statusCode())
          .isEqualTo(403);
      assertThat(
              await(
                      web.put(base + "etcdir/evil")
                          .putHeader("Authorization", "Bearer " + c.token())
                          .sendBuffer(Buffer.buffer("x")))
                  .statusCode())
          .isEqualTo(403);
      assertThat(
              await(
                      web.get(base + "missing")
                          .putHeader("Authorization", "Bearer " + c.token())
                          .send())
                  .statusCode())
          .isEqualTo(404);

      assertThat(
              await(
                      web.delete(base + "dir/sub/hello.txt")
                          .putHeader("Authorization", "Bearer " + c.token())
                          .send())
                  .statusCode())
          .isEqualTo(204);
      assertThat(sh(c, "test -e /workspace/dir/sub/hello.txt").getInteger("exitCode")).isEqualTo(1);

      // Writes and deletes are audited (reads are not); so is the symlink refused as 403.
      assertThat(audit.where("event", "file_write"))
          .extracting(l -> l.get("path") + " " + l.get("exit_code") + " " + l.get("bytes"))
          .containsExactly("/workspace/dir/sub/hello.txt 0 8", "/workspace/etcdir/evil 3 1");
      assertThat(audit.where("event", "file_delete").get(0).fields())
          .containsEntry("claim_id", c.claimId())
          .containsEntry("sandbox", c.sandbox())
          .containsEntry("path", "/workspace/dir/sub/hello.txt")
          .containsEntry("exit_code", 0);
      assertThat(audit.where("event", "denied"))
          .extracting(l -> l.get("status"))
          .containsExactly(403, 403);
      assertThat(audit.where("event", "exec")).extracting(l -> l.get("argv0")).contains("/bin/sh");
    } finally {
      release(c);
    }
  }

  @Test
  void shouldRefuseExecWithoutOrWithWrongToken() throws Exception {
    Claim a = claim(BWRAP);
    Claim b = claim(BWRAP);
    try (LogCapture audit = new LogCapture(AuditLog.LOGGER)) {
      JsonObject body = new JsonObject().put("command", new JsonArray().add("true"));
      assertThat(execRaw(a, null, body).statusCode()).isEqualTo(401);
      assertThat(execRaw(a, "garbage", body).statusCode()).isEqualTo(401);
      assertThat(
              execRaw(a, a.token().substring(0, a.token().length() - 2) + "AA", body).statusCode())
          .isEqualTo(401);
      assertThat(execRaw(a, b.token(), body).statusCode()).isEqualTo(403);
      assertThat(execRaw(a, a.token(), body).statusCode()).isEqualTo(200);

      // The audit trail: every refusal with its reason and never the token; the exec itself.
      var denied = audit.where("event", "denied");
      assertThat(denied)
          .extracting(l -> l.get("status") + " " + l.get("reason"))
          .containsExactly(
              "401 no claim token",
              "401 invalid claim token",
              "401 invalid claim token",
              "403 claim token of another sandbox (" + b.sandbox() + ")");
      assertThat(denied.get(0).fields())
          .containsEntry("source", "127.0.0.1")
          .containsEntry("method", "POST")
          .containsEntry("route", "/v1/sandboxes/" + a.sandbox() + "/exec")
          .doesNotContainKey("token_sha256");
      assertThat(denied.get(1).get("token_sha256")).isEqualTo(AuditLog.tokenHash("garbage"));
      assertThat(denied.get(3).get("token_sha256")).isEqualTo(AuditLog.tokenHash(b.token()));
      for (var line : audit.lines()) {
        assertThat(line.fields().values().toString()).doesNotContain(b.token(), "garbage");
      }
      var exec = audit.where("event", "exec");
      assertThat(exec).hasSize(1);
      assertThat(exec.get(0).fields())
          .containsEntry("claim_id", a.claimId())
          .containsEntry("sandbox", a.sandbox())
          .containsEntry("argv0", "true")
          .containsEntry("exit_code", 0)
          .containsEntry("bytes_in", 0L)
          .containsEntry("bytes_out", 0L);
      assertThat(
              await(
                      web.get("/v1/sandboxes/" + a.sandbox() + "/files/x")
                          .putHeader("Authorization", "Bearer " + b.token())
                          .send())
                  .statusCode())
          .isEqualTo(403);
      assertThat(await(web.get("/v1/sandboxes/" + a.sandbox() + "/files/x").send()).statusCode())
          .isEqualTo(401);
    } finally {
      release(a);
      release(b);
    }
    // after release the token no longer works
    assertThat(
            execRaw(a, a.token(), new JsonObject().put("command", new JsonArray().add("true")))
                .statusCode())
        .isEqualTo(404);
  }

  @Test
  void shouldDestroySandboxAndWorkspaceOnRelease() throws Exception {
    LocalProvisioner local = (LocalProvisioner) server.provisioner();
    for (String pool : List.of(GVISOR, BWRAP)) {
      Claim c = claim(pool);
      sh(c, "echo x > /workspace/file");
      Path dir =
          local
              .stateDir()
              .resolve("sandboxes")
              .resolve(
                  LocalProvisioner.idOf(
                      new io.agentsandbox.core.model.PoolKey("default", pool), c.sandbox()));
      assertThat(dir.resolve("workspace/file")).exists();
      release(c);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (Files.exists(dir) && System.nanoTime() - deadline < 0)
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
      assertThat(dir).as(pool).doesNotExist();
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {GVISOR, BWRAP})
  void shouldDestroySandboxProcessesAndWorkspaceWhenClaimTtlExpires(String pool) throws Exception {
    LocalProvisioner local = (LocalProvisioner) server.provisioner();
    HttpResponse<Buffer> r =
        await(
            web.post("/v1/claims")
                .putHeader("content-type", "application/json")
                .sendBuffer(
                    Buffer.buffer(
                        new JsonObject()
                            .put("pool", pool)
                            .put("waitMs", 30_000)
                            .put("ttlSeconds", 1)
                            .encode())));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    String claimId = r.bodyAsJsonObject().getString("claimId");
    String sandbox = r.bodyAsJsonObject().getJsonObject("sandbox").getString("name");
    Path dir =
        local
            .stateDir()
            .resolve("sandboxes")
            .resolve(
                LocalProvisioner.idOf(
                    new io.agentsandbox.core.model.PoolKey("default", pool), sandbox));
    assertThat(dir.resolve(LocalProvisioner.BINDING_FILE))
        .as("binding made durable before the 201")
        .exists();
    java.util.Properties meta = new java.util.Properties();
    try (var in = Files.newBufferedReader(dir.resolve("meta.properties"))) {
      meta.load(in);
    }
    List<Long> pids = new java.util.ArrayList<>();
    for (String k : List.of("outerPid", "initPid")) {
      long pid = Long.parseLong(meta.getProperty(k, "0"));
      if (pid > 1) pids.add(pid);
    }
    assertThat(pids).isNotEmpty();
    assertThat(pids)
        .allMatch(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));

    TestPools.awaitCondition(
        () ->
            !Files.exists(dir)
                && pids.stream()
                    .noneMatch(
                        pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)),
        30);
    assertThat(await(web.get("/v1/claims/" + claimId).send()).statusCode()).isEqualTo(404);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {GVISOR, BWRAP})
  void shouldStreamExecOutputAsNdjsonWhileTheCommandRuns(String pool) throws Exception {
    Claim c = claim(pool);
    try {
      var http = client.createHttpClient();
      java.util.concurrent.CompletableFuture<Long> firstChunkAt =
          new java.util.concurrent.CompletableFuture<>();
      java.util.concurrent.CompletableFuture<Long> endAt =
          new java.util.concurrent.CompletableFuture<>();
      Buffer body = Buffer.buffer();
      JsonObject cmd =
          new JsonObject()
              .put(
                  "command",
                  new JsonArray()
                      .add("/bin/sh")
                      .add("-c")
                      .add("echo first; echo oops >&2; sleep 2; echo second; exit 3"));
      var response =
          await(
              http.request(
                      io.vertx.core.http.HttpMethod.POST,
                      server.port(),
                      "127.0.0.1",
                      "/v1/sandboxes/" + c.sandbox() + "/exec?stream=true")
                  .compose(
                      req ->
                          req.putHeader("content-type", "application/json")
                              .putHeader("Authorization", "Bearer " + c.token())
                              .send(cmd.toBuffer()))
                  .map(
                      resp -> {
                        resp.handler(
                            chunk -> {
                              firstChunkAt.complete(System.nanoTime());
                              synchronized (body) {
                                body.appendBuffer(chunk);
                              }
                            });
                        resp.endHandler(v -> endAt.complete(System.nanoTime()));
                        return resp;
                      }));
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.getHeader("content-type")).isEqualTo("application/x-ndjson");
      long end = endAt.get(30, TimeUnit.SECONDS);
      assertThat(end - firstChunkAt.get())
          .as("output arrives while the command runs")
          .isGreaterThan(TimeUnit.MILLISECONDS.toNanos(1_000));
      List<JsonObject> lines = new java.util.ArrayList<>();
      synchronized (body) {
        for (String l : body.toString().split("\n")) lines.add(new JsonObject(l));
      }
      StringBuilder out = new StringBuilder();
      StringBuilder err = new StringBuilder();
      for (JsonObject l : lines.subList(0, lines.size() - 1)) {
        (l.getString("stream").equals("stdout") ? out : err).append(l.getString("data"));
      }
      assertThat(out.toString()).isEqualTo("first\nsecond\n");
      assertThat(err.toString()).isEqualTo("oops\n");
      JsonObject last = lines.get(lines.size() - 1);
      assertThat(last.getInteger("exitCode")).isEqualTo(3);
      assertThat(last.getBoolean("timedOut")).isFalse();
      assertThat(last.containsKey("stdout")).isFalse();
      assertThat(last.getString("execPath")).isEqualTo("agent");
      http.close();
    } finally {
      release(c);
    }
  }

  @Test
  void shouldReportKataUnavailableAndRefuseItsClaims() throws Exception {
    JsonObject pool = await(web.get("/v1/pools/default/" + KATA).send()).bodyAsJsonObject();
    JsonObject condition = pool.getJsonArray("conditions").getJsonObject(0);
    assertThat(condition.getString("reason")).isEqualTo("RuntimeClassUnavailable");
    assertThat(condition.getString("message")).contains("kata", "--runtime-map");
    HttpResponse<Buffer> r =
        await(
            web.post("/v1/claims")
                .putHeader("content-type", "application/json")
                .sendBuffer(Buffer.buffer(new JsonObject().put("pool", KATA).encode())));
    assertThat(r.statusCode()).isEqualTo(422);
    assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("code"))
        .isEqualTo("runtime_class_unavailable");
    assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("message"))
        .contains("RuntimeClassUnavailable");
  }
}
