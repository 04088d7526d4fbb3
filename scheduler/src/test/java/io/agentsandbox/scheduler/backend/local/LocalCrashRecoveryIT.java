package io.agentsandbox.scheduler.backend.local;

import static io.agentsandbox.scheduler.TestPools.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.scheduler.TestPools;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash recovery with REAL gVisor and bubblewrap sandboxes: the server runs as a separate JVM
 * ({@code Main --backend local}), is killed with SIGKILL and started again on the same state dir.
 * Acknowledged claims must still be bound and usable with their tokens (files included), released
 * ones must stay gone, pools must be back at their target, and no process, runsc container or
 * directory may remain beyond the live sandboxes.
 */
class LocalCrashRecoveryIT {

  static final String GVISOR = "rec-gvisor";
  static final String BWRAP = "rec-bwrap";

  /** Declared in the first run only: its bound sandbox must survive until released. */
  static final String GONE = "rec-gone";

  private static final Pattern SANDBOX_ID = Pattern.compile("default_rec-[a-z]+-[b-z2-9]{5}");

  @TempDir Path tmp;
  private final List<Process> servers = new ArrayList<>();
  private Vertx vertx;
  private Path state;

  record Claim(String claimId, String pool, String sandbox, String token) {}

  @AfterEach
  void cleanUp() throws Exception {
    for (Process p : servers) {
      if (p.isAlive()) {
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
      }
    }
    if (vertx != null)
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    // Whatever a failed test left: destroy it (open() keeps nothing).
    if (state != null && Files.exists(state.resolve("sandboxes")))
      LocalProvisioner.open(LocalBackendConfig.defaults().withStateDir(state)).close();
  }

  @Test
  void shouldRestoreAcknowledgedClaimsAndLeaveNoOrphanAfterKill9() throws Exception {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    state = tmp.resolve("state");
    Path pools = Files.createDirectories(tmp.resolve("pools"));
    writePools(pools, true);
    vertx = Vertx.vertx();

    // ---- first run
    int port1 = freePort();
    Process first = startServer(pools, port1, tmp.resolve("server-1.log"));
    WebClient web = client(port1);
    awaitServer(web, first, tmp.resolve("server-1.log"));
    TestPools.awaitReady(web, new String[] {GVISOR, BWRAP, GONE}, 1);
    Claim g = claim(web, GVISOR, 600);
    Claim b = claim(web, BWRAP, 600);
    Claim gone = claim(web, GONE, 0);
    Claim released = claim(web, BWRAP, 600);
    HttpResponse<Buffer> put =
        await(
            web.put("/v1/sandboxes/" + g.sandbox() + "/files/data/in.txt")
                .putHeader("Authorization", "Bearer " + g.token())
                .sendBuffer(Buffer.buffer("hello from before the crash")));
    assertThat(put.statusCode()).as(put.bodyAsString()).isBetween(200, 204);
    assertThat(put.getHeader("X-Exec-Path")).isEqualTo("agent");
    assertThat(exec(web, b, "/bin/sh", "-c", "echo kept > /workspace/b.txt").getInteger("exitCode"))
        .isZero();
    assertThat(await(web.delete("/v1/claims/" + released.claimId()).send()).statusCode())
        .isEqualTo(204);
    Path releasedDir = dirOf(released);
    TestPools.awaitCondition(() -> !Files.exists(releasedDir), 30);

    Map<String, List<Long>> firstRunPids = pidsByDir();
    first.destroyForcibly();
    assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
    web.close();
    // The sandboxes outlive the server.
    assertThat(firstRunPids.get(dirOf(g).getFileName().toString()))
        .allMatch(LocalCrashRecoveryIT::alive);

    // ---- second run, on the same state dir, without pool rec-gone
    writePools(pools, false);
    int port2 = freePort();
    Process second = startServer(pools, port2, tmp.resolve("server-2.log"));
    web = client(port2);
    awaitServer(web, second, tmp.resolve("server-2.log"));

    for (Claim c : List.of(g, b, gone)) {
      HttpResponse<Buffer> r = await(web.get("/v1/claims/" + c.claimId()).send());
      assertThat(r.statusCode()).as(c + ": " + r.bodyAsString()).isEqualTo(200);
      assertThat(r.bodyAsJsonObject().getString("status")).isEqualTo("Bound");
      assertThat(r.bodyAsJsonObject().getJsonObject("sandbox").getString("name"))
          .isEqualTo(c.sandbox());
      JsonObject alive = exec(web, c, "echo", "alive");
      assertThat(alive.getString("stdout")).isEqualTo("alive\n");
      assertThat(alive.getString("execPath"))
          .as("the restarted server re-found the agent of " + c)
          .isEqualTo("agent");
    }
    assertThat(await(web.get("/v1/claims/" + released.claimId()).send()).statusCode())
        .as("a released claim stays released")
        .isEqualTo(404);
    HttpResponse<Buffer> get =
        await(
            web.get("/v1/sandboxes/" + g.sandbox() + "/files/data/in.txt")
                .putHeader("Authorization", "Bearer " + g.token())
                .send());
    assertThat(get.statusCode()).isEqualTo(200);
    assertThat(get.bodyAsString()).isEqualTo("hello from before the crash");
    assertThat(get.getHeader("X-Exec-Path")).isEqualTo("agent");
    assertThat(exec(web, b, "cat", "/workspace/b.txt").getString("stdout")).isEqualTo("kept\n");
    assertThat(execRaw(web, g, b.token()).statusCode()).as("another claim's token").isEqualTo(403);

    // Pools back at their target (2 unclaimed each), with the restored claims; nothing more
    // anywhere.
    Claim[] kept = {g, b, gone};
    TestPools.awaitCondition(
        () -> poolAtTarget(vertx, port2, GVISOR) && poolAtTarget(vertx, port2, BWRAP), 60);
    TestPools.awaitCondition(() -> sandboxDirs().size() == 2 + 1 + 2 + 1 + 1, 30);
    Set<String> dirs = sandboxDirs();
    for (Claim c : kept) assertThat(dirs).contains(dirOf(c).getFileName().toString());
    assertThat(runscContainers()).as("runsc containers").isEqualTo(gvisorDirs(dirs));
    assertThat(sandboxIdsOfLiveProcesses()).as("processes of sandboxes").isSubsetOf(dirs);
    for (var e : firstRunPids.entrySet()) {
      if (!dirs.contains(e.getKey()))
        assertThat(e.getValue())
            .as("processes of " + e.getKey())
            .noneMatch(LocalCrashRecoveryIT::alive);
    }

    // Released after the restart: gone like any other; the removed pool then drains.
    for (Claim c : kept)
      assertThat(await(web.delete("/v1/claims/" + c.claimId()).send()).statusCode()).isEqualTo(204);
    TestPools.awaitCondition(() -> sandboxDirs().size() == 4, 30);

    // A clean stop destroys everything.
    second.destroy();
    assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();
    web.close();
    assertThat(sandboxDirs()).isEmpty();
    assertThat(runscContainers()).isEmpty();
    assertThat(sandboxIdsOfLiveProcesses()).isEmpty();
  }

  // ---------------------------------------------------------------- helpers

  private void writePools(Path dir, boolean withGone) throws IOException {
    String yaml =
        TestPools.template(GVISOR, "gvisor")
            + TestPools.pool(GVISOR, GVISOR, 2, null)
            + TestPools.template(BWRAP, null)
            + TestPools.pool(BWRAP, BWRAP, 2, null);
    if (withGone) yaml += TestPools.template(GONE, null) + TestPools.pool(GONE, GONE, 1, null);
    Files.writeString(dir.resolve("pools.yaml"), yaml);
  }

  private Process startServer(Path pools, int port, Path log) throws IOException {
    String cp =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-ea",
                "-cp",
                cp,
                "io.agentsandbox.scheduler.Main",
                "--port",
                Integer.toString(port),
                "--pools-dir",
                pools.toString(),
                "--state-dir",
                state.toString(),
                "--backend",
                "local",
                "--shards",
                "2")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    servers.add(p);
    return p;
  }

  private WebClient client(int port) {
    return WebClient.create(
        vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port));
  }

  /** Waits (bounded, 60 s) until /readyz answers 200; fails with the server's log if it exits. */
  private static void awaitServer(WebClient web, Process server, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      if (!server.isAlive())
        throw new AssertionError(
            "server exited " + server.exitValue() + ":\n" + Files.readString(log));
      try {
        if (web.get("/readyz")
                .send()
                .toCompletionStage()
                .toCompletableFuture()
                .get(5, TimeUnit.SECONDS)
                .statusCode()
            == 200) return;
      } catch (Exception e) {
        // not listening yet
      }
      if (System.nanoTime() - deadline > 0)
        throw new AssertionError("server not ready within 60 s:\n" + Files.readString(log));
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
  }

  private static Claim claim(WebClient web, String pool, int ttlSeconds) throws Exception {
    HttpResponse<Buffer> r =
        await(
            web.post("/v1/claims")
                .putHeader("content-type", "application/json")
                .sendBuffer(
                    Buffer.buffer(
                        new JsonObject()
                            .put("pool", pool)
                            .put("waitMs", 30_000)
                            .put("ttlSeconds", ttlSeconds)
                            .encode())));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    JsonObject o = r.bodyAsJsonObject();
    return new Claim(
        o.getString("claimId"),
        pool,
        o.getJsonObject("sandbox").getString("name"),
        o.getString("token"));
  }

  private static HttpResponse<Buffer> execRaw(
      WebClient web, Claim c, String token, String... command) throws Exception {
    JsonArray cmd = new JsonArray();
    for (String s : command.length == 0 ? new String[] {"true"} : command) cmd.add(s);
    return await(
        web.post("/v1/sandboxes/" + c.sandbox() + "/exec")
            .putHeader("content-type", "application/json")
            .putHeader("Authorization", "Bearer " + token)
            .sendBuffer(new JsonObject().put("command", cmd).toBuffer()));
  }

  private static JsonObject exec(WebClient web, Claim c, String... command) throws Exception {
    HttpResponse<Buffer> r = execRaw(web, c, c.token(), command);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject();
  }

  private static boolean poolAtTarget(Vertx vertx, int port, String pool) {
    WebClient web =
        WebClient.create(
            vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port));
    try {
      JsonObject p = await(web.get("/v1/pools/default/" + pool).send()).bodyAsJsonObject();
      return p.getInteger("ready") == 2
          && p.getInteger("starting") == 0
          && p.getInteger("claimed") == 1;
    } catch (Exception e) {
      return false;
    } finally {
      web.close();
    }
  }

  private Path dirOf(Claim c) {
    return state.resolve("sandboxes").resolve("default_" + c.sandbox());
  }

  private Set<String> sandboxDirs() {
    Set<String> out = new HashSet<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(state.resolve("sandboxes"))) {
      for (Path p : ds) out.add(p.getFileName().toString());
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return out;
  }

  private static Set<String> gvisorDirs(Set<String> dirs) {
    Set<String> out = new HashSet<>();
    for (String d : dirs) if (d.startsWith("default_" + GVISOR + "-")) out.add(d);
    return out;
  }

  /** Containers in runsc's state root (as the backend names them). */
  private Set<String> runscContainers() throws IOException {
    Set<String> out = new HashSet<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(state.resolve("runsc"), "*.state")) {
      for (Path p : ds) {
        Matcher m = SANDBOX_ID.matcher(p.getFileName().toString());
        if (m.find()) out.add(m.group());
      }
    }
    return out;
  }

  /** Sandbox ids named on the command line of any live process that refers to this state dir. */
  private Set<String> sandboxIdsOfLiveProcesses() throws IOException {
    Set<String> out = new HashSet<>();
    String marker = state.toString();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path p : ds) {
        String cmdline;
        try {
          cmdline = new String(Files.readAllBytes(p.resolve("cmdline"))).replace('\0', ' ');
        } catch (IOException e) {
          continue;
        }
        if (!cmdline.contains(marker)) continue;
        Matcher m = SANDBOX_ID.matcher(cmdline);
        while (m.find()) out.add(m.group());
      }
    }
    return out;
  }

  /** The pids each sandbox directory's metadata names. */
  private Map<String, List<Long>> pidsByDir() throws IOException {
    Map<String, List<Long>> out = new HashMap<>();
    for (String d : sandboxDirs()) {
      Properties meta = new Properties();
      try (var r =
          Files.newBufferedReader(
              state.resolve("sandboxes").resolve(d).resolve("meta.properties"))) {
        meta.load(r);
      }
      List<Long> pids = new ArrayList<>();
      for (String k : List.of("outerPid", "initPid")) {
        long pid = Long.parseLong(meta.getProperty(k, "0"));
        if (pid > 1) pids.add(pid);
      }
      out.put(d, pids);
    }
    return out;
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }
}
