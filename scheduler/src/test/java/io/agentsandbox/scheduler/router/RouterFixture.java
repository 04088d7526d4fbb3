package io.agentsandbox.scheduler.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.AgentEndpoint;
import io.agentsandbox.scheduler.Main;
import io.agentsandbox.scheduler.SchedulerServer;
import io.agentsandbox.scheduler.TestPools;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;

/**
 * A real agent process (built by {@code mvn -pl agent package}) serving one workspace on a unix
 * socket (no secret) and on a loopback TCP port (with a secret), and servers on the simulated
 * backend whose locator points every claimed sandbox at {@link #endpoint}.
 */
final class RouterFixture implements AutoCloseable {

  static final Path AGENT = Path.of("../agent/target/agent-sandbox-agent");
  static final String SECRET = "s3cret-of-the-agent";
  static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  final Path dir;
  final Path workspace;
  final Path socket;
  final int agentTcpPort;
  final AtomicReference<AgentEndpoint> endpoint = new AtomicReference<>();
  private final Process agent;
  private final List<SchedulerServer> servers = new ArrayList<>();

  RouterFixture(Path dir) throws Exception {
    Assumptions.assumeTrue(
        Files.isExecutable(AGENT), "agent binary not built: mvn -pl agent package");
    this.dir = dir;
    workspace = Files.createDirectories(dir.resolve("workspace"));
    socket = dir.resolve("agent.sock");
    Path secret = dir.resolve("secret");
    Files.writeString(secret, SECRET);
    try (ServerSocket s = new ServerSocket(0)) {
      agentTcpPort = s.getLocalPort();
    }
    agent =
        new ProcessBuilder(
                AGENT.toString(),
                "--workspace",
                workspace.toString(),
                "--listen",
                "unix:" + socket,
                "--listen",
                "tcp:127.0.0.1:" + agentTcpPort,
                "--secret-file",
                secret.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("agent.log").toFile())
            .start();
    TestPools.awaitCondition(() -> Files.exists(socket), 10);
    endpoint.set(unixEndpoint());
  }

  /** The agent over its unix socket (the socket's file mode protects it; the secret still sent). */
  AgentEndpoint unixEndpoint() {
    return AgentEndpoint.unix(socket, SECRET);
  }

  /** The agent over loopback TCP. */
  AgentEndpoint tcpEndpoint() {
    return AgentEndpoint.tcp("127.0.0.1", agentTcpPort, SECRET);
  }

  /** A server with pool {@code rt} of {@code warm} sandboxes, {@code flags} added; ready. */
  Server server(int warm, String... flags) throws Exception {
    Path pools = Files.createDirectories(dir.resolve("pools-" + servers.size()));
    Files.writeString(
        pools.resolve("pools.yaml"),
        TestPools.template("shell", null) + TestPools.pool("rt", "shell", warm, null));
    List<String> args =
        new ArrayList<>(
            List.of(
                "--port", "0",
                "--backend", "simulated",
                "--pools-dir", pools.toString(),
                "--shards", "2",
                "--http-instances", "2",
                "--simulated-latency", "*=0"));
    args.addAll(List.of(flags));
    SchedulerServer s =
        TestPools.await(
            SchedulerServer.start(
                Main.parseContext(args.toArray(String[]::new))
                    .withAgentLocator(sandbox -> endpoint.get())));
    servers.add(s);
    return new Server(s.port());
  }

  @Override
  public void close() throws Exception {
    for (SchedulerServer s : servers) TestPools.await(s.close());
    agent.destroy();
    agent.waitFor(10, TimeUnit.SECONDS);
  }

  /** One server's API port, from a client's side. */
  record Server(int port) {

    HttpRequest.Builder request(String path) {
      return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .timeout(Duration.ofSeconds(30));
    }

    /** A request through the router to {@code sandbox} (namespace {@code default}). */
    HttpRequest.Builder routed(String sandbox, String path) {
      return request(path).header("X-Sandbox-ID", sandbox).header("X-Sandbox-Namespace", "default");
    }

    HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
      return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    void awaitReady(int ready, String apiToken) {
      TestPools.awaitCondition(
          () -> {
            try {
              HttpRequest.Builder b = request("/v1/pools/default/rt");
              if (apiToken != null) b.header("Authorization", "Bearer " + apiToken);
              return new JsonObject(send(b).body()).getInteger("ready", 0) >= ready;
            } catch (Exception e) {
              return false;
            }
          },
          10);
    }

    /** A claim of pool {@code rt}: its JSON (claimId, token, sandbox.name). */
    JsonObject claim(String apiToken) throws Exception {
      HttpRequest.Builder b =
          request("/v1/claims")
              .header("content-type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString("{\"pool\":\"rt\"}"));
      if (apiToken != null) b.header("Authorization", "Bearer " + apiToken);
      HttpResponse<String> r = send(b);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
      return new JsonObject(r.body());
    }
  }

  static String sandboxName(JsonObject claim) {
    return claim.getJsonObject("sandbox").getString("name");
  }

  static JsonObject error(HttpResponse<String> r) {
    return new JsonObject(r.body()).getJsonObject("error");
  }

  /**
   * Names the pool {@code rt} hands out just before and after {@code name} (its name sequence is a
   * fixed stride through the 5-character suffixes; see warmpool's SandboxNames), so a test can find
   * its warm, unclaimed neighbours.
   */
  static List<String> neighbours(String name, int count) {
    String chars = "bcdfghjklmnpqrstvwxz2456789";
    long space = 14_348_907L;
    long stride = 7_368_787L;
    String suffix = name.substring(name.lastIndexOf('-') + 1);
    long v = 0;
    for (char c : suffix.toCharArray()) v = v * chars.length() + chars.indexOf(c);
    List<String> out = new ArrayList<>();
    for (int k = -count; k <= count; k++) {
      if (k == 0) continue;
      long n = Math.floorMod(v + k * stride, space);
      char[] s = new char[5];
      for (int i = 4; i >= 0; i--) {
        s[i] = chars.charAt((int) (n % chars.length()));
        n /= chars.length();
      }
      out.add(name.substring(0, name.lastIndexOf('-') + 1) + new String(s));
    }
    return out;
  }
}
