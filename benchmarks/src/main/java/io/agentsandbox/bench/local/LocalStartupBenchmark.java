package io.agentsandbox.bench.local;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxBlueprint;
import io.agentsandbox.core.port.ProvisionListener;
import io.agentsandbox.scheduler.Main;
import io.agentsandbox.scheduler.SchedulerServer;
import io.agentsandbox.scheduler.backend.local.LocalBackendConfig;
import io.agentsandbox.scheduler.backend.local.LocalProvisioner;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Measures the local backend per runtime class (gVisor, bubblewrap), sequentially, over N runs
 * each:
 *
 * <ul>
 *   <li><b>cold</b>: {@code LocalProvisioner.create} until the sandbox is reported ready, which is
 *       when an exec in it first answers (the backend's readiness rule);
 *   <li><b>warm</b>: through the HTTP API of an embedded server on the local backend, {@code POST
 *       /v1/claims} on a pool with ready sandboxes, then {@code POST /v1/sandboxes/{id}/exec} of
 *       {@code true}, until the exec's response has arrived (includes making the binding durable).
 * </ul>
 *
 * Before each warm claim it waits until the pool is back at its target, so every claim is warm.
 * Prints median and p99 of each and the ratio warm/cold. Not a test; needs root, runsc and bwrap.
 *
 * <pre>
 * java -cp benchmarks/target/classes:$(cat cp.txt) io.agentsandbox.bench.local.LocalStartupBenchmark [--runs 100]
 * </pre>
 */
public final class LocalStartupBenchmark {

  private static final PoolKey COLD_POOL = new PoolKey("default", "bench-cold");
  private static final Map<String, RuntimeClass> CLASSES = new LinkedHashMap<>();

  static {
    CLASSES.put("gvisor", RuntimeClass.GVISOR);
    CLASSES.put("bwrap", RuntimeClass.DEFAULT);
  }

  private LocalStartupBenchmark() {}

  public static void main(String[] args) throws Exception {
    int runs = 100;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--runs")) runs = Integer.parseInt(args[++i]);
    }
    Path base = Files.createTempDirectory("local-bench");
    // bwrap sandboxes run as uid 65534, which must be able to walk down to their workspaces.
    Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwx--x--x"));
    Map<String, long[]> cold = new LinkedHashMap<>();
    for (var e : CLASSES.entrySet())
      cold.put(e.getKey(), cold(base.resolve("cold-state"), e.getValue(), runs));
    Map<String, long[]> claimOnly = new LinkedHashMap<>();
    Map<String, long[]> warm = warm(base, runs, claimOnly);

    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "runs per figure: %d (sequential, after 5 unmeasured warm-up runs)%n%n",
            runs));
    out.append(
        "| runtime class | cold start: create -> exec answers, median / p99 (ms) | warm claim -> first exec done, median / p99 (ms) | warm/cold median | warm/cold p99 |\n");
    out.append("|---|---|---|---|---|\n");
    for (String rc : CLASSES.keySet()) {
      long[] c = cold.get(rc);
      long[] w = warm.get(rc);
      out.append(
          String.format(
              Locale.ROOT,
              "| %s | %.1f / %.1f | %.1f / %.1f | %.3f | %.3f |%n",
              rc,
              ms(median(c)),
              ms(p99(c)),
              ms(median(w)),
              ms(p99(w)),
              (double) median(w) / median(c),
              (double) p99(w) / p99(c)));
    }
    out.append(
        "\nof which the claim alone (POST /v1/claims -> 201, binding made durable), median / p99 (ms): ");
    for (String rc : CLASSES.keySet()) {
      out.append(
          String.format(
              Locale.ROOT,
              "%s %.2f / %.2f; ",
              rc,
              ms(median(claimOnly.get(rc))),
              ms(p99(claimOnly.get(rc)))));
    }
    System.out.println(out);
    System.exit(0);
  }

  // ---------------------------------------------------------------- cold

  private static long[] cold(Path state, RuntimeClass rc, int runs) throws Exception {
    LocalProvisioner p = LocalProvisioner.open(LocalBackendConfig.defaults().withStateDir(state));
    try {
      if (p.unavailableReason(rc) != null) throw new IllegalStateException(p.unavailableReason(rc));
      SandboxBlueprint bp =
          new SandboxBlueprint("bench", rc, "", List.of(), List.of(), Map.of(), 0, 0);
      long[] out = new long[runs];
      for (int i = -5; i < runs; i++) {
        String name = "bench-cold-" + (rc.isDefault() ? "bwrap" : "gvisor") + "-" + (i + 5);
        Listener l = new Listener();
        long t0 = System.nanoTime();
        p.create(COLD_POOL, name, bp, l);
        String outcome = l.outcome.get(60, TimeUnit.SECONDS);
        long t = System.nanoTime() - t0;
        if (!outcome.equals("ready")) throw new IllegalStateException(name + ": " + outcome);
        if (i >= 0) out[i] = t;
        p.delete(COLD_POOL, name, l);
        l.deleted.get(60, TimeUnit.SECONDS);
      }
      return out;
    } finally {
      p.close();
    }
  }

  private static final class Listener implements ProvisionListener {
    final CompletableFuture<String> outcome = new CompletableFuture<>();
    final CompletableFuture<Void> deleted = new CompletableFuture<>();

    @Override
    public void onSandboxReady(PoolKey pool, String sandboxName, List<String> addresses) {
      outcome.complete("ready");
    }

    @Override
    public void onSandboxFailed(PoolKey pool, String sandboxName, String reason) {
      outcome.complete("failed: " + reason);
    }

    @Override
    public void onSandboxDeleted(PoolKey pool, String sandboxName) {
      deleted.complete(null);
    }
  }

  // ---------------------------------------------------------------- warm

  private static final int REPLICAS = 3;

  private static Map<String, long[]> warm(Path base, int runs, Map<String, long[]> claimOnly)
      throws Exception {
    Path pools = Files.createDirectories(base.resolve("pools"));
    StringBuilder yaml = new StringBuilder();
    for (var e : CLASSES.entrySet()) {
      String name = "bench-" + e.getKey();
      yaml.append(
              "apiVersion: extensions.agents.x-k8s.io/v1beta1\nkind: SandboxTemplate\nmetadata:\n  name: ")
          .append(name)
          .append("\nspec:\n  podTemplate:\n    spec:\n")
          .append(
              e.getValue().isDefault()
                  ? ""
                  : "      runtimeClassName: " + e.getValue().name() + "\n")
          .append("      containers:\n      - name: main\n        image: busybox\n---\n")
          .append(
              "apiVersion: extensions.agents.x-k8s.io/v1beta1\nkind: SandboxWarmPool\nmetadata:\n  name: ")
          .append(name)
          .append("\nspec:\n  replicas: ")
          .append(REPLICAS)
          .append("\n  sandboxTemplateRef:\n    name: ")
          .append(name)
          .append("\n---\n");
    }
    Files.writeString(pools.resolve("pools.yaml"), yaml);
    SchedulerServer server =
        await(
            SchedulerServer.start(
                Main.parseConfig(
                    "--port", "0", "--backend", "local", "--pools-dir", pools.toString()),
                Main.parseLocalConfig("--state-dir", base.resolve("warm-state").toString())));
    Vertx vertx = Vertx.vertx();
    WebClient web =
        WebClient.create(
            vertx,
            new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(server.port()));
    try {
      Map<String, long[]> out = new LinkedHashMap<>();
      for (String rc : CLASSES.keySet()) {
        String pool = "bench-" + rc;
        long[] times = new long[runs];
        long[] claims = new long[runs];
        for (int i = -5; i < runs; i++) {
          awaitTarget(web, pool);
          long t0 = System.nanoTime();
          HttpResponse<Buffer> claim =
              await(
                  web.post("/v1/claims")
                      .putHeader("content-type", "application/json")
                      .sendBuffer(
                          Buffer.buffer(
                              new JsonObject()
                                  .put("pool", pool)
                                  .put("onEmpty", "reject")
                                  .encode())));
          if (claim.statusCode() != 201)
            throw new IllegalStateException(
                "claim: " + claim.statusCode() + " " + claim.bodyAsString());
          long tClaim = System.nanoTime() - t0;
          JsonObject c = claim.bodyAsJsonObject();
          if (!"warm".equals(c.getString("launchType")))
            throw new IllegalStateException("not warm: " + c);
          HttpResponse<Buffer> exec =
              await(
                  web.post(
                          "/v1/sandboxes/" + c.getJsonObject("sandbox").getString("name") + "/exec")
                      .putHeader("content-type", "application/json")
                      .putHeader("Authorization", "Bearer " + c.getString("token"))
                      .sendBuffer(
                          new JsonObject().put("command", new JsonArray().add("true")).toBuffer()));
          long t = System.nanoTime() - t0;
          if (exec.statusCode() != 200 || exec.bodyAsJsonObject().getInteger("exitCode") != 0) {
            throw new IllegalStateException(
                "exec: " + exec.statusCode() + " " + exec.bodyAsString());
          }
          if (i >= 0) {
            times[i] = t;
            claims[i] = tClaim;
          }
          await(web.delete("/v1/claims/" + c.getString("claimId")).send());
        }
        out.put(rc, times);
        claimOnly.put(rc, claims);
      }
      return out;
    } finally {
      web.close();
      vertx.close();
      server.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  private static void awaitTarget(WebClient web, String pool) throws Exception {
    awaitTarget(web, pool, REPLICAS);
  }

  /**
   * Waits (bounded, 60 s) until the pool holds {@code replicas} ready sandboxes and starts none.
   */
  static void awaitTarget(WebClient web, String pool, int replicas) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      JsonObject p = await(web.get("/v1/pools/default/" + pool).send()).bodyAsJsonObject();
      if (p.getInteger("ready") >= replicas
          && p.getInteger("starting") == 0
          && p.getInteger("deleting", 0) == 0) return;
      if (System.nanoTime() - deadline > 0)
        throw new IllegalStateException("pool " + pool + " not back at target: " + p);
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
  }

  // ---------------------------------------------------------------- helpers

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static long median(long[] v) {
    long[] s = v.clone();
    java.util.Arrays.sort(s);
    return s[(s.length - 1) / 2];
  }

  private static long p99(long[] v) {
    long[] s = v.clone();
    java.util.Arrays.sort(s);
    return s[(int) Math.ceil(0.99 * s.length) - 1];
  }

  static double ms(long ns) {
    return ns / 1e6;
  }
}
