package io.agentsandbox.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The chart as users drive it on the real node: {@code helm} and {@code kubectl} as processes
 * (paths from scripts/e2e.sh's environment), {@code kubectl port-forward} to reach the Service, the
 * claim API with the chart's token. Used by the test thread only.
 */
final class HelmRelease {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final Pattern FORWARDING =
      Pattern.compile("Forwarding from 127\\.0\\.0\\.1:(\\d+)");

  final String release;
  final String namespace;
  private final Path helm;
  private final Path kubectl;
  private final Path log;

  HelmRelease(String release, String namespace) throws IOException {
    this.release = release;
    this.namespace = namespace;
    this.helm = tool("AGENTSANDBOX_E2E_HELM", "helm");
    this.kubectl = tool("AGENTSANDBOX_E2E_KUBECTL", "kubectl");
    this.log = RealNode.logsDir().resolve("helm-" + release + ".log");
  }

  private static Path tool(String env, String what) {
    String v = System.getenv(env);
    if (v == null || v.isBlank() || !Files.isExecutable(Path.of(v)))
      throw new IllegalStateException(
          env + " does not name an executable " + what + " (" + v + "); run scripts/e2e.sh");
    return Path.of(v);
  }

  static String env(String name) {
    String v = System.getenv(name);
    if (v == null || v.isBlank())
      throw new IllegalStateException(name + " is not set; run scripts/e2e.sh");
    return v;
  }

  /** {@code helm ARGS --kubeconfig ... -n NS}; fails with its output unless it exits 0. */
  String helm(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(helm.toString()));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--kubeconfig", RealNode.kubeconfig().toString(), "--namespace", namespace));
    return run(cmd, 300);
  }

  /** {@code kubectl ARGS} against the node; fails with its output unless it exits 0. */
  String kubectl(String... args) throws Exception {
    return run(kubectlCommand(args), 120);
  }

  private List<String> kubectlCommand(String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(kubectl.toString()));
    cmd.addAll(List.of("--kubeconfig", RealNode.kubeconfig().toString()));
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** {@code kubectl apply -f -} with {@code yaml} on its standard input. */
  String apply(String yaml) throws Exception {
    Process p =
        new ProcessBuilder(kubectlCommand("apply", "-f", "-")).redirectErrorStream(true).start();
    p.getOutputStream().write(yaml.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    return finish(p, String.join(" ", kubectlCommand("apply", "-f", "-")), 60);
  }

  private String run(List<String> cmd, int timeoutS) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().close();
    return finish(p, String.join(" ", cmd), timeoutS);
  }

  private String finish(Process p, String what, int timeoutS) throws Exception {
    CompletableFuture<String> out =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
              } catch (IOException e) {
                return "(output lost: " + e + ")";
              }
            });
    if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(what + ": no exit within " + timeoutS + " s");
    }
    String text = out.get(10, TimeUnit.SECONDS);
    Files.writeString(
        log,
        "$ " + what + "\n" + text + "\n",
        StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
    if (p.exitValue() != 0)
      throw new AssertionError(what + " exited with " + p.exitValue() + ":\n" + text);
    return text;
  }

  /**
   * {@code kubectl port-forward TARGET :PORT} (a free local port), as users reach the Service;
   * returns once it forwards.
   */
  PortForward portForward(String target, int port) throws Exception {
    Process p =
        new ProcessBuilder(
                kubectlCommand(
                    "port-forward", "-n", namespace, "--address", "127.0.0.1", target, ":" + port))
            .redirectErrorStream(true)
            .start();
    p.getOutputStream().close();
    BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<Integer> local =
        CompletableFuture.supplyAsync(
            () -> {
              StringBuilder seen = new StringBuilder();
              try {
                for (String line; (line = r.readLine()) != null; ) {
                  Matcher m = FORWARDING.matcher(line);
                  if (m.find()) {
                    // keep draining so kubectl never blocks on a full pipe
                    Thread drain =
                        new Thread(
                            () -> {
                              try {
                                while (r.readLine() != null) {}
                              } catch (IOException e) {
                                // the process went
                              }
                            },
                            "port-forward-drain");
                    drain.setDaemon(true);
                    drain.start();
                    return Integer.parseInt(m.group(1));
                  }
                  seen.append(line).append('\n');
                }
              } catch (IOException e) {
                seen.append(e);
              }
              throw new IllegalStateException("port-forward " + target + " ended: " + seen);
            });
    try {
      return new PortForward(p, local.get(30, TimeUnit.SECONDS));
    } catch (Exception e) {
      p.destroyForcibly();
      throw new AssertionError("kubectl port-forward " + target + " did not forward", e);
    }
  }

  /** A running {@code kubectl port-forward} and the claim API behind it. */
  record PortForward(Process process, int localPort) implements AutoCloseable {

    Http send(String method, String path, String body, String token) throws Exception {
      return send(method, path, body, token, Duration.ofSeconds(60));
    }

    Http send(String method, String path, String body, String token, Duration timeout)
        throws Exception {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + localPort + path))
              .timeout(timeout)
              .method(
                  method,
                  body == null
                      ? HttpRequest.BodyPublishers.noBody()
                      : HttpRequest.BodyPublishers.ofString(body));
      if (body != null) b.header("content-type", "application/json");
      if (token != null) b.header("authorization", "Bearer " + token);
      HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Http(r.statusCode(), r.body());
    }

    @Override
    public void close() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly();
    }
  }

  record Http(int status, String body) {
    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON (" + status + "): " + body, e);
      }
    }
  }
}
