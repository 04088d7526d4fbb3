package io.agentsandbox.bench.load;

import io.agentsandbox.core.model.AgentEndpoint;
import io.agentsandbox.scheduler.Main;
import io.agentsandbox.scheduler.SchedulerServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The sandbox router's side of {@code benchmarks/router-throughput.sh}: a server on the simulated
 * backend (one shard's pool, 0 ms starts) whose locator sends every claimed sandbox to one real
 * agent on loopback TCP; claims one sandbox and prints {@code PORT <api port> SANDBOX <name>} on
 * stdout, then serves until its stdin closes. Args: the agent's TCP port, the agent's secret file,
 * the number of HTTP verticles.
 */
public final class RouterTarget {

  private RouterTarget() {}

  public static void main(String[] args) throws Exception {
    int agentPort = Integer.parseInt(args[0]);
    String secret = Files.readString(Path.of(args[1])).trim();
    String httpInstances = args.length > 2 ? args[2] : "1";
    List<String> pools = EmbeddedServer.poolNamesOnePerShard(1);
    Path dir = Files.createTempDirectory("agent-sandbox-router-pools-");
    Files.writeString(dir.resolve("pools.yaml"), EmbeddedServer.poolsYaml(pools, 2));
    AgentEndpoint agent = AgentEndpoint.tcp("127.0.0.1", agentPort, secret);
    SchedulerServer server =
        SchedulerServer.start(
                Main.parseContext(
                        "--host", "127.0.0.1",
                        "--port", "0",
                        "--pools-dir", dir.toString(),
                        "--backend", "simulated",
                        "--shards", "1",
                        "--http-instances", httpInstances,
                        "--simulated-latency", "*=0")
                    .withAgentLocator(sandbox -> agent))
            .toCompletionStage()
            .toCompletableFuture()
            .get(60, TimeUnit.SECONDS);
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    String body = "{\"pool\":\"" + pools.get(0) + "\"}";
    HttpResponse<String> claim =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/claims"))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    Matcher m =
        Pattern.compile("\"sandbox\"\\s*:\\s*\\{[^}]*\"name\"\\s*:\\s*\"([^\"]+)\"")
            .matcher(claim.body());
    if (claim.statusCode() != 201 || !m.find()) {
      System.err.println("claim failed: " + claim.statusCode() + " " + claim.body());
      System.exit(1);
    }
    System.out.println("PORT " + server.port() + " SANDBOX " + m.group(1));
    System.out.flush();
    while (System.in.read() >= 0) {
      // serve until the script closes our stdin
    }
    server.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    System.exit(0);
  }
}
