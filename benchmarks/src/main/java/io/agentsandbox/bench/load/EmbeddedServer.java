package io.agentsandbox.bench.load;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.scheduler.Main;
import io.agentsandbox.scheduler.SchedulerServer;
import io.agentsandbox.scheduler.shard.ShardRouter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The claim server started in this JVM on the SIMULATED backend (always: never a real runtime) with
 * 0 ms start latency and unlimited creation budgets, from pool YAML the harness writes into a
 * temporary directory: one gVisor pool per shard (names chosen so each shard owns one), each sized
 * for the load. Start once, close once; any thread.
 */
public final class EmbeddedServer implements AutoCloseable {

  private final SchedulerServer server;
  private final Path poolsDir;
  private final List<String> pools;
  private final int replicasPerPool;

  private EmbeddedServer(
      SchedulerServer server, Path poolsDir, List<String> pools, int replicasPerPool) {
    this.server = server;
    this.poolsDir = poolsDir;
    this.pools = pools;
    this.replicasPerPool = replicasPerPool;
  }

  /**
   * Starts the server; blocks until it listens.
   *
   * @param shards claim shards (0: one per CPU, the server's default)
   * @param replicasPerPool warm sandboxes per pool
   * @param extraArgs more server flags, e.g. {@code --http-instances 2}
   */
  public static EmbeddedServer start(int shards, int replicasPerPool, List<String> extraArgs)
      throws Exception {
    int shardCount = shards > 0 ? shards : Math.max(1, Runtime.getRuntime().availableProcessors());
    List<String> pools = poolNamesOnePerShard(shardCount);
    Path dir = Files.createTempDirectory("agent-sandbox-load-pools-");
    Files.writeString(dir.resolve("pools.yaml"), poolsYaml(pools, replicasPerPool));
    List<String> args =
        new ArrayList<>(
            List.of(
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--pools-dir",
                dir.toString(),
                // Always the simulation: the server's default ('auto') would start real sandboxes
                // here.
                "--backend",
                "simulated",
                "--shards",
                Integer.toString(shardCount),
                "--simulated-latency",
                "gvisor=0,default=0,*=0",
                // Simulated starts are free: lift the per-runtime-class creation budgets so
                // replacements
                // keep up with the load (the harness measures the claim path, not the budgets).
                "--create-concurrency",
                "gvisor=100000,default=100000,*=100000",
                "--create-rate",
                "gvisor=1000000,default=1000000,*=1000000",
                "--max-starting-per-pool",
                Integer.toString(Math.max(512, replicasPerPool)),
                "--max-claims-per-tenant",
                Integer.toString(Math.max(1_000, replicasPerPool))));
    args.addAll(extraArgs);
    SchedulerServer server;
    try {
      server =
          SchedulerServer.start(Main.parseConfig(args.toArray(String[]::new)))
              .toCompletionStage()
              .toCompletableFuture()
              .get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      deleteTree(dir);
      throw e;
    }
    return new EmbeddedServer(server, dir, pools, replicasPerPool);
  }

  /** {@code bench-<n>} names, the first that land on each shard, in shard order. */
  static List<String> poolNamesOnePerShard(int shards) {
    ShardRouter router = new ShardRouter(shards);
    String[] byShard = new String[shards];
    int found = 0;
    for (int n = 0; found < shards && n < 100_000; n++) {
      String name = "bench-" + n;
      int k = router.shardOf(new PoolKey("default", name));
      if (byShard[k] == null) {
        byShard[k] = name;
        found++;
      }
    }
    List<String> out = new ArrayList<>();
    for (String s : byShard) if (s != null) out.add(s);
    return out;
  }

  static String poolsYaml(List<String> pools, int replicas) {
    StringBuilder y =
        new StringBuilder(
            "# Written by the load harness (--embedded): one gVisor pool per shard.\n");
    for (String p : pools) {
      y.append(
              "apiVersion: extensions.agents.x-k8s.io/v1beta1\nkind: SandboxTemplate\nmetadata:\n  name: ")
          .append(p)
          .append(
              "\n  namespace: default\nspec:\n  podTemplate:\n    spec:\n      runtimeClassName: gvisor\n")
          .append(
              "      containers:\n      - name: agent-runtime\n        image: python:3.12-slim\n---\n")
          .append(
              "apiVersion: extensions.agents.x-k8s.io/v1beta1\nkind: SandboxWarmPool\nmetadata:\n  name: ")
          .append(p)
          .append(
              "\n  namespace: default\n  annotations:\n    agentsandbox.io/max-claims-per-tenant: \"")
          .append(Math.max(1_000, replicas))
          .append("\"\nspec:\n  replicas: ")
          .append(replicas)
          .append("\n  sandboxTemplateRef:\n    name: ")
          .append(p)
          .append("\n---\n");
    }
    return y.toString();
  }

  public int port() {
    return server.port();
  }

  public List<String> pools() {
    return pools;
  }

  public int replicasPerPool() {
    return replicasPerPool;
  }

  public int shards() {
    return server.config().shards();
  }

  public int httpInstances() {
    return server.config().httpInstances();
  }

  @Override
  public void close() throws Exception {
    try {
      server.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } finally {
      deleteTree(poolsDir);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }
}
