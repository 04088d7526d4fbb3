package io.agentsandbox.bench.local;

import io.agentsandbox.scheduler.Main;
import io.agentsandbox.scheduler.SchedulerServer;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The local backend's data plane, the in-sandbox agent against the previous path ({@code runsc
 * exec} / {@code nsenter}), in one run: an embedded server on the local backend with the agent (the
 * default binary), then one with {@code --agent-binary none}, taking turns ({@link #BLOCKS} each,
 * one server at a time: two local backends on one host clear each other's sandbox cgroups), each
 * with a warm pool ({@code replicas: 2}) and an empty one (for cold claims) per runtime class.
 *
 * <ul>
 *   <li><b>exec round trip</b>: one claimed sandbox per server and runtime; {@code POST
 *       /v1/sandboxes/{id}/exec} of {@code ["true"]} through the HTTP API, the runtimes
 *       alternating, request after request;
 *   <li><b>claim → first exec</b>: {@code POST /v1/claims} then the first exec of {@code true},
 *       until its {@code 200}: warm (after the pool is back at its target; checked {@code
 *       launchType: warm}) and cold (an empty pool, {@code onEmpty: cold}), alternating, per
 *       runtime and path.
 * </ul>
 *
 * Every answer is checked ({@code execPath} says which path served it). Prints median and p99. Not
 * a test; needs root, runsc, bwrap and the built agent.
 *
 * <pre>
 * java -cp benchmarks/target/classes:$(cat cp.txt) io.agentsandbox.bench.local.LocalDataPlaneBenchmark [--execs 300] [--claims 30]
 * </pre>
 */
public final class LocalDataPlaneBenchmark {

  private static final Map<String, String> CLASSES = new LinkedHashMap<>();

  static {
    CLASSES.put("gvisor", "gvisor");
    CLASSES.put("bwrap", null);
  }

  private static final List<String> PATHS = List.of("agent", "runtime");

  /** How many turns each path gets (its server started afresh each time). */
  private static final int BLOCKS = 2;

  private LocalDataPlaneBenchmark() {}

  /** One server: its path's name and client. */
  private record Side(String path, SchedulerServer server, WebClient web) {}

  public static void main(String[] args) throws Exception {
    int execs = 300;
    int claims = 30;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--execs")) execs = Integer.parseInt(args[++i]);
      if (args[i].equals("--claims")) claims = Integer.parseInt(args[++i]);
    }
    Path base = Files.createTempDirectory("local-dataplane");
    Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwx--x--x"));
    Path pools = Files.createDirectories(base.resolve("pools"));
    Files.writeString(pools.resolve("pools.yaml"), poolsYaml());
    Vertx vertx = Vertx.vertx();
    Map<String, List<Long>> rtt = new LinkedHashMap<>();
    Map<String, List<Long>> warm = new LinkedHashMap<>();
    Map<String, List<Long>> cold = new LinkedHashMap<>();
    for (String rc : CLASSES.keySet()) {
      for (String path : PATHS) {
        rtt.put(rc + "/" + path, new ArrayList<>());
        warm.put(rc + "/" + path, new ArrayList<>());
        cold.put(rc + "/" + path, new ArrayList<>());
      }
    }
    // Two local backends on one host do not coexist (each one's start clears the other's
    // sandbox cgroups): the paths take turns, one server at a time, BLOCKS times each.
    for (int block = 0; block < BLOCKS; block++) {
      for (String path : PATHS) {
        List<String> local =
            new ArrayList<>(List.of("--state-dir", base.resolve("state-" + path).toString()));
        if (path.equals("runtime")) local.addAll(List.of("--agent-binary", "none"));
        SchedulerServer server =
            LocalStartupBenchmark.await(
                SchedulerServer.start(
                    Main.parseConfig(
                        "--port", "0", "--backend", "local", "--pools-dir", pools.toString()),
                    Main.parseLocalConfig(local.toArray(String[]::new))));
        Side s =
            new Side(
                path,
                server,
                WebClient.create(
                    vertx,
                    new WebClientOptions()
                        .setDefaultHost("127.0.0.1")
                        .setDefaultPort(server.port())));
        try {
          measure(s, execs / BLOCKS, claims / BLOCKS, rtt, warm, cold);
        } finally {
          s.web.close();
          server.close().toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
        }
      }
    }
    vertx.close();
    {
      StringBuilder out = new StringBuilder();
      out.append(
          String.format(
              Locale.ROOT,
              "exec of `true` through the HTTP API, %d per row (after 20 unmeasured per turn),"
                  + " runtimes alternating, paths taking %d turns each:%n%n",
              execs / BLOCKS * BLOCKS,
              BLOCKS));
      out.append("| runtime | path | p50 (ms) | p99 (ms) |\n|---|---|---|---|\n");
      for (var e : rtt.entrySet()) {
        String[] k = e.getKey().split("/");
        out.append(
            String.format(
                Locale.ROOT,
                "| %s | %s | %.2f | %.2f |%n",
                k[0],
                k[1],
                LocalStartupBenchmark.ms(pct(e.getValue(), 50)),
                LocalStartupBenchmark.ms(pct(e.getValue(), 99))));
      }
      out.append(
          String.format(
              Locale.ROOT,
              "%nclaim -> first exec done, %d each (after 2 unmeasured per turn), warm and cold"
                  + " alternating:%n%n",
              claims / BLOCKS * BLOCKS));
      out.append(
          "| runtime | path | warm p50 / p99 (ms) | cold p50 / p99 (ms) | warm/cold p50 |\n"
              + "|---|---|---|---|---|\n");
      for (String k : warm.keySet()) {
        String[] kk = k.split("/");
        List<Long> w = warm.get(k);
        List<Long> c = cold.get(k);
        out.append(
            String.format(
                Locale.ROOT,
                "| %s | %s | %.1f / %.1f | %.1f / %.1f | %.3f |%n",
                kk[0],
                kk[1],
                LocalStartupBenchmark.ms(pct(w, 50)),
                LocalStartupBenchmark.ms(pct(w, 99)),
                LocalStartupBenchmark.ms(pct(c, 50)),
                LocalStartupBenchmark.ms(pct(c, 99)),
                (double) pct(w, 50) / pct(c, 50)));
      }
      System.out.println(out);
    }
    System.exit(0);
  }

  private static String poolsYaml() {
    StringBuilder yaml = new StringBuilder();
    for (var e : CLASSES.entrySet()) {
      for (String kind : List.of("warm", "cold")) {
        String name = kind + "-" + e.getKey();
        yaml.append(
                "apiVersion: extensions.agents.x-k8s.io/v1beta1\nkind: SandboxTemplate\n"
                    + "metadata:\n  name: ")
            .append(name)
            .append("\nspec:\n  podTemplate:\n    spec:\n")
            .append(e.getValue() == null ? "" : "      runtimeClassName: " + e.getValue() + "\n")
            .append("      containers:\n      - name: main\n        image: busybox\n---\n")
            .append(
                "apiVersion: extensions.agents.x-k8s.io/v1beta1\nkind: SandboxWarmPool\n"
                    + "metadata:\n  name: ")
            .append(name)
            .append("\nspec:\n  replicas: ")
            .append(kind.equals("warm") ? 2 : 0)
            .append("\n  sandboxTemplateRef:\n    name: ")
            .append(name)
            .append("\n---\n");
      }
    }
    return yaml.toString();
  }

  private static long claimToFirstExec(Side s, String pool, String onEmpty, String launch)
      throws Exception {
    long t0 = System.nanoTime();
    JsonObject c = claim(s.web, pool, onEmpty);
    exec(s.web, c, s.path);
    long t = System.nanoTime() - t0;
    if (!launch.equals(c.getString("launchType")))
      throw new IllegalStateException("expected a " + launch + " claim: " + c);
    release(s.web, c);
    return t;
  }

  private static JsonObject claim(WebClient web, String pool, String onEmpty) throws Exception {
    HttpResponse<Buffer> r =
        LocalStartupBenchmark.await(
            web.post("/v1/claims")
                .putHeader("content-type", "application/json")
                .sendBuffer(
                    Buffer.buffer(
                        new JsonObject().put("pool", pool).put("onEmpty", onEmpty).encode())));
    if (r.statusCode() != 201)
      throw new IllegalStateException(
          "claim " + pool + ": " + r.statusCode() + " " + r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  private static void exec(WebClient web, JsonObject c, String path) throws Exception {
    HttpResponse<Buffer> r =
        LocalStartupBenchmark.await(
            web.post("/v1/sandboxes/" + c.getJsonObject("sandbox").getString("name") + "/exec")
                .putHeader("content-type", "application/json")
                .putHeader("Authorization", "Bearer " + c.getString("token"))
                .sendBuffer(
                    new JsonObject().put("command", new JsonArray().add("true")).toBuffer()));
    if (r.statusCode() != 200
        || r.bodyAsJsonObject().getInteger("exitCode") != 0
        || !path.equals(r.bodyAsJsonObject().getString("execPath"))) {
      throw new IllegalStateException(
          "exec (" + path + "): " + r.statusCode() + " " + r.bodyAsString());
    }
  }

  private static void release(WebClient web, JsonObject c) throws Exception {
    LocalStartupBenchmark.await(web.delete("/v1/claims/" + c.getString("claimId")).send());
  }

  private static long pct(List<Long> v, int p) {
    long[] s = v.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(s);
    return s[Math.max(0, (int) Math.ceil(p / 100.0 * s.length) - 1)];
  }

  /** One server's share: exec round trips, then warm and cold claims, runtimes alternating. */
  private static void measure(
      Side s,
      int execs,
      int claims,
      Map<String, List<Long>> rtt,
      Map<String, List<Long>> warm,
      Map<String, List<Long>> cold)
      throws Exception {
    for (String rc : CLASSES.keySet()) LocalStartupBenchmark.awaitTarget(s.web, "warm-" + rc, 2);
    Map<String, JsonObject> claimed = new LinkedHashMap<>();
    for (String rc : CLASSES.keySet()) claimed.put(rc, claim(s.web, "warm-" + rc, "wait"));
    for (int i = -20; i < execs; i++) {
      for (String rc : CLASSES.keySet()) {
        long t0 = System.nanoTime();
        exec(s.web, claimed.get(rc), s.path);
        if (i >= 0) rtt.get(rc + "/" + s.path).add(System.nanoTime() - t0);
      }
    }
    for (String rc : CLASSES.keySet()) release(s.web, claimed.get(rc));
    for (int i = -2; i < claims; i++) {
      for (String rc : CLASSES.keySet()) {
        LocalStartupBenchmark.awaitTarget(s.web, "warm-" + rc, 2);
        long w = claimToFirstExec(s, "warm-" + rc, "wait", "warm");
        long c = claimToFirstExec(s, "cold-" + rc, "cold", "cold");
        if (i >= 0) {
          warm.get(rc + "/" + s.path).add(w);
          cold.get(rc + "/" + s.path).add(c);
        }
      }
    }
  }
}
