package io.agentsandbox.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
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

/**
 * The controller as users run it: {@code java -jar agent-sandbox-server.jar --backend kubernetes
 * --kubeconfig ...} in its own JVM (so a test can {@code kill -9} it), watching one namespace, its
 * HTTP API on a free loopback port, its output in target/e2e-logs. Used by the test thread only.
 */
public final class Controller implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final String namespace;
  private final Path log;
  private final int port;
  private final byte[] agentKey = new byte[32];
  private Path agentKeyFile;
  private Process process;

  private Controller(String namespace, Path log, int port) {
    this.namespace = namespace;
    this.log = log;
    this.port = port;
  }

  /** Starts the server JVM and waits (bounded) for /readyz. */
  public static Controller start(String namespace, String name) throws Exception {
    Controller c =
        new Controller(
            namespace,
            RealNode.logsDir().resolve("controller-" + namespace + "-" + name + ".log"),
            freePort());
    c.launch();
    return c;
  }

  private void launch() throws Exception {
    if (agentKeyFile == null) {
      new java.security.SecureRandom().nextBytes(agentKey);
      agentKeyFile = log.resolveSibling(log.getFileName() + ".agent.key");
      Files.write(agentKeyFile, agentKey);
    }
    Path jar =
        Path.of(
            System.getProperty("agentsandbox.e2e.serverJar", "target/agent-sandbox-server.jar"));
    if (!Files.isReadable(jar))
      throw new IllegalStateException("server jar missing: " + jar + " (mvn package first)");
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                java,
                "-Xmx512m",
                "-jar",
                jar.toString(),
                "--backend",
                "kubernetes",
                "--kubeconfig",
                RealNode.kubeconfig().toString(),
                "--watch-namespace",
                namespace,
                "--host",
                "127.0.0.1",
                "--port",
                String.valueOf(port),
                "--shards",
                "2",
                "--http-instances",
                "1",
                "--agent-key-file",
                agentKeyFile.toString()));
    process =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive())
        throw new AssertionError("controller exited with " + process.exitValue() + ":\n" + tail());
      try {
        HttpResponse<String> r =
            HTTP.send(
                HttpRequest.newBuilder(uri("/readyz")).timeout(Duration.ofSeconds(2)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) return;
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new AssertionError("controller not ready within 90 s:\n" + tail());
  }

  /** {@code kill -9}: no shutdown hook, no graceful close. */
  public void kill9() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** Starts it again, same port and namespace, after {@link #kill9()}. */
  public void restart() throws Exception {
    launch();
  }

  /** The secret the injected agent of sandbox {@code ns/name} expects (its server's derivation). */
  public String agentSecret(String ns, String name) {
    return new io.agentsandbox.k8s.agent.AgentSecrets(agentKey).secret(ns, name);
  }

  public URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  /** POST with a JSON body; returns the status code and the body. */
  public Http post(String path, String json) throws Exception {
    return post(path, json, null);
  }

  /** POST with a JSON body and, when not null, the claim's token (exec and files need it). */
  public Http post(String path, String json, String token) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri(path))
            .timeout(Duration.ofSeconds(120))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json));
    if (token != null) b.header("authorization", "Bearer " + token);
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Http(r.statusCode(), r.body());
  }

  public Http put(String path, String body, String token) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(uri(path))
                .timeout(Duration.ofSeconds(60))
                .header("authorization", "Bearer " + token)
                .PUT(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return new Http(r.statusCode(), r.body());
  }

  public Http get(String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60)).GET();
    if (token != null) b.header("authorization", "Bearer " + token);
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Http(r.statusCode(), r.body());
  }

  public Http delete(String path) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60)).DELETE().build(),
            HttpResponse.BodyHandlers.ofString());
    return new Http(r.statusCode(), r.body());
  }

  public record Http(int status, String body) {
    public JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON (" + status + "): " + body, e);
      }
    }
  }

  public String tail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()))
          + "\n(full log: "
          + log
          + ")";
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  public String namespace() {
    return namespace;
  }

  @Override
  public void close() throws InterruptedException {
    if (process == null || !process.isAlive()) return;
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
