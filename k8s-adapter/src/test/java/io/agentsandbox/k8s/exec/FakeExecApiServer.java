package io.agentsandbox.k8s.exec;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A fake API server for exec tests, on fabric8's mock web server with its own dispatcher: {@code
 * GET .../pods/<name>} answers from {@link #pods} (or a forced status), and {@code
 * .../pods/<name>/exec} upgrades to a websocket speaking {@code v4.channel.k8s.io} and plays the
 * kubelet: it runs the requested argv as a host process (so the executor's wrapper script really
 * runs, under the host's {@code /bin/sh} or busybox), pipes channel 0 to its stdin, its
 * stdout/stderr to channels 1/2 and its exit as a Status on channel 3. Unlike a kubelet it does not
 * kill the process when the stream closes (a kubelet does not either), so the in-container reaper
 * can be observed.
 */
final class FakeExecApiServer implements AutoCloseable {

  /** Pod name → pod JSON. */
  final Map<String, String> pods = new ConcurrentHashMap<>();

  /** Pod name → HTTP status forced on its GET. */
  final Map<String, Integer> podGetStatus = new ConcurrentHashMap<>();

  /** Pod name → HTTP status forced on its exec upgrade. */
  final Map<String, Integer> execStatus = new ConcurrentHashMap<>();

  /** Pod name → Status JSON sent instead of running anything. */
  final Map<String, String> execStatusMessage = new ConcurrentHashMap<>();

  /**
   * Pod names whose exec stream closes without an exit status (the pod is deleted first when also
   * in {@link #deleteOnExec}).
   */
  final java.util.Set<String> closeWithoutStatus = ConcurrentHashMap.newKeySet();

  final java.util.Set<String> deleteOnExec = ConcurrentHashMap.newKeySet();

  /** GETs of a pod by name. */
  final java.util.concurrent.atomic.AtomicInteger podGets =
      new java.util.concurrent.atomic.AtomicInteger();

  /** Query strings of the exec requests seen. */
  final List<String> execQueries = new CopyOnWriteArrayList<>();

  /** Processes started. */
  final List<Process> processes = new CopyOnWriteArrayList<>();

  /** Opened when the first process has started. */
  final java.util.concurrent.CountDownLatch firstProcessStarted =
      new java.util.concurrent.CountDownLatch(1);

  /** Rewrites the argv before it runs (e.g. to run it under busybox). */
  volatile Function<List<String>, List<String>> argvRewrite = a -> a;

  volatile Map<String, String> processEnv = null;

  private final MockWebServer server = new MockWebServer();

  FakeExecApiServer() {
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            return FakeExecApiServer.this.dispatch(request);
          }
        });
    server.start();
  }

  KubernetesClient client() {
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl("http://localhost:" + server.getPort())
            .withRequestTimeout(5_000)
            .withConnectionTimeout(5_000)
            .withRequestRetryBackoffLimit(0)
            .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  static String runningPod(String ns, String name, String... containers) {
    StringBuilder cs = new StringBuilder();
    for (String c : containers)
      cs.append(cs.length() == 0 ? "" : ",")
          .append("{\"name\":\"")
          .append(c)
          .append("\",\"image\":\"busybox\"}");
    return "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\""
        + name
        + "\",\"namespace\":\""
        + ns
        + "\"},"
        + "\"spec\":{\"containers\":["
        + cs
        + "]},\"status\":{\"phase\":\"Running\"}}";
  }

  private MockResponse dispatch(RecordedRequest request) {
    String path = request.getPath();
    String query = "";
    int q = path.indexOf('?');
    if (q >= 0) {
      query = path.substring(q + 1);
      path = path.substring(0, q);
    }
    String[] p = path.split("/");
    // /api/v1/namespaces/<ns>/pods/<name>[/exec]
    if (p.length < 7 || !p[5].equals("pods")) return status(404, "not found: " + path);
    String name = p[6];
    if (p.length == 7) {
      podGets.incrementAndGet();
      Integer forced = podGetStatus.get(name);
      if (forced != null) return status(forced, "forced " + forced);
      String pod = pods.get(name);
      return pod == null
          ? status(404, "pods \"" + name + "\" not found")
          : new MockResponse().setResponseCode(200).setBody(pod);
    }
    if (!p[7].equals("exec")) return status(404, "not found: " + path);
    execQueries.add(query);
    Integer forced = execStatus.get(name);
    if (forced != null) return status(forced, "forced " + forced);
    if (!pods.containsKey(name)) return status(404, "pods \"" + name + "\" not found");
    List<String> argv = new ArrayList<>();
    boolean stdin = false;
    for (String kv : query.split("&")) {
      int eq = kv.indexOf('=');
      String k = kv.substring(0, eq);
      String v = URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
      if (k.equals("command")) argv.add(v);
      if (k.equals("stdin")) stdin = v.equals("true");
    }
    String statusMessage = execStatusMessage.get(name);
    return new MockResponse()
        .setResponseCode(101)
        .addHeader("Sec-WebSocket-Protocol", "v4.channel.k8s.io")
        .withWebSocketUpgrade(
            closeWithoutStatus.contains(name)
                ? new WebSocketListener() {
                  @Override
                  public void onOpen(WebSocket ws, Response response) {
                    if (deleteOnExec.contains(name)) pods.remove(name);
                    send(ws, 1, "partial".getBytes(StandardCharsets.UTF_8));
                    ws.close(1000, "");
                  }
                }
                : new Kubelet(argvRewrite.apply(argv), stdin, statusMessage));
  }

  private static MockResponse status(int code, String message) {
    return new MockResponse()
        .setResponseCode(code)
        .setBody(
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\""
                + message.replace("\"", "\\\"")
                + "\",\"code\":"
                + code
                + "}");
  }

  /** One exec stream. */
  private final class Kubelet extends WebSocketListener {
    private final List<String> argv;
    private final boolean stdin;
    private final String statusMessage;
    private volatile Process process;

    Kubelet(List<String> argv, boolean stdin, String statusMessage) {
      this.argv = argv;
      this.stdin = stdin;
      this.statusMessage = statusMessage;
    }

    @Override
    public void onOpen(WebSocket ws, Response response) {
      if (statusMessage != null) {
        send(ws, 3, statusMessage.getBytes(StandardCharsets.UTF_8));
        ws.close(1000, "");
        return;
      }
      Process pr;
      try {
        ProcessBuilder pb = new ProcessBuilder(argv);
        if (processEnv != null) {
          pb.environment().clear();
          pb.environment().putAll(processEnv);
        }
        if (!stdin) pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        pr = pb.start();
      } catch (IOException e) {
        send(
            ws,
            3,
            ("{\"status\":\"Failure\",\"reason\":\"InternalError\",\"message\":\""
                    + e.getMessage().replace("\"", "'")
                    + "\"}")
                .getBytes(StandardCharsets.UTF_8));
        ws.close(1000, "");
        return;
      }
      process = pr;
      processes.add(pr);
      firstProcessStarted.countDown();
      Thread outPump = pump(ws, pr.getInputStream(), 1);
      Thread errPump = pump(ws, pr.getErrorStream(), 2);
      Thread waiter =
          new Thread(
              () -> {
                try {
                  int code = pr.waitFor();
                  outPump.join();
                  errPump.join();
                  String status =
                      code == 0
                          ? "{\"metadata\":{},\"status\":\"Success\"}"
                          : "{\"metadata\":{},\"status\":\"Failure\",\"message\":\"command terminated with non-zero exit code\","
                              + "\"reason\":\"NonZeroExitCode\",\"details\":{\"causes\":[{\"reason\":\"ExitCode\",\"message\":\""
                              + code
                              + "\"}]}}";
                  send(ws, 3, status.getBytes(StandardCharsets.UTF_8));
                  ws.close(1000, "");
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              },
              "fake-kubelet-wait");
      waiter.setDaemon(true);
      waiter.start();
    }

    private Thread pump(WebSocket ws, InputStream in, int channel) {
      Thread t =
          new Thread(
              () -> {
                byte[] buf = new byte[4096];
                try (in) {
                  int n;
                  while ((n = in.read(buf)) >= 0) {
                    if (n > 0) send(ws, channel, Arrays.copyOf(buf, n));
                  }
                } catch (IOException e) {
                  // process gone
                }
              },
              "fake-kubelet-pump-" + channel);
      t.setDaemon(true);
      t.start();
      return t;
    }

    @Override
    public void onMessage(WebSocket ws, byte[] bytes) {
      stdinFrame(bytes);
    }

    private void stdinFrame(byte[] bytes) {
      Process pr = process;
      if (pr == null || bytes.length == 0 || bytes[0] != 0) return;
      try {
        OutputStream os = pr.getOutputStream();
        os.write(bytes, 1, bytes.length - 1);
        os.flush();
      } catch (IOException e) {
        // process stopped reading
      }
    }
  }

  private static void send(WebSocket ws, int channel, byte[] data) {
    byte[] frame = new byte[data.length + 1];
    frame[0] = (byte) channel;
    System.arraycopy(data, 0, frame, 1, data.length);
    synchronized (ws) {
      ws.send(frame);
    }
  }

  @Override
  public void close() {
    for (Process p : processes) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    server.shutdown();
  }
}
