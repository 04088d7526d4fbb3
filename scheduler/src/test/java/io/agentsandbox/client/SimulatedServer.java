package io.agentsandbox.client;

import static java.util.concurrent.TimeUnit.SECONDS;

import io.agentsandbox.scheduler.Main;
import io.agentsandbox.scheduler.SchedulerServer;
import io.agentsandbox.scheduler.TestPools;
import io.agentsandbox.scheduler.backend.local.LocalBackendConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * A real server in this JVM on the simulated backend, for client and CLI tests: pools {@value #PY}
 * (gVisor, 4 ready at once), {@value #CAPPED} (quota 1 claim per tenant), {@value #EMPTY} (none),
 * {@value #SLOW} (Kata, a minute to start: claims time out). With {@code apiToken} non-null the
 * server requires it (tenant {@value #TENANT}).
 */
public final class SimulatedServer implements AutoCloseable {
  public static final String PY = "py";
  public static final String CAPPED = "capped";
  public static final String EMPTY = "empty";
  public static final String SLOW = "slow";
  public static final String TENANT = "alice";

  public final SchedulerServer server;
  public final String url;

  private SimulatedServer(SchedulerServer server) {
    this.server = server;
    this.url = "http://127.0.0.1:" + server.port();
  }

  public static SimulatedServer start(Path dir, String apiToken) throws Exception {
    Path pools = Files.createDirectories(dir.resolve("pools"));
    Files.writeString(
        pools.resolve("pools.yaml"),
        TestPools.template("python", "gvisor")
            + TestPools.template("shell", null)
            + TestPools.template("kata-box", "kata")
            + TestPools.pool(PY, "python", 4, null)
            + TestPools.pool(CAPPED, "shell", 3, 1)
            + TestPools.pool(EMPTY, "shell", 0, null)
            + TestPools.pool(SLOW, "kata-box", 0, null));
    List<String> security = List.of();
    if (apiToken != null) {
      Path tokens = dir.resolve("tokens");
      Files.writeString(tokens, apiToken + " " + TENANT + "\n");
      security = List.of("--api-tokens-file", tokens.toString());
    }
    SchedulerServer s =
        SchedulerServer.start(
                Main.parseConfig(
                    "--port", "0",
                    "--backend", "simulated",
                    "--pools-dir", pools.toString(),
                    "--shards", "1",
                    "--http-instances", "1",
                    "--simulated-latency", "gvisor=0,default=0,kata=60000,*=0"),
                LocalBackendConfig.defaults(),
                Main.parseSecurityConfig(security.toArray(String[]::new)))
            .toCompletionStage()
            .toCompletableFuture()
            .get(30, SECONDS);
    SimulatedServer server = new SimulatedServer(s);
    server.awaitReady(apiToken, PY, 4);
    server.awaitReady(apiToken, CAPPED, 3);
    return server;
  }

  /** Waits (bounded, 10 s) until a pool has {@code n} ready sandboxes, through the client. */
  void awaitReady(String apiToken, String pool, int n) {
    AgentSandboxClient client = AgentSandboxClient.builder().baseUrl(url).token(apiToken).build();
    long deadline = System.nanoTime() + SECONDS.toNanos(10);
    while (true) {
      for (PoolInfo p : client.pools()) if (p.name().equals(pool) && p.ready() >= n) return;
      if (System.nanoTime() > deadline) throw new AssertionError("pool " + pool + " not ready");
      LockSupport.parkNanos(5_000_000);
    }
  }

  @Override
  public void close() throws Exception {
    server.close().toCompletionStage().toCompletableFuture().get(30, SECONDS);
  }
}
