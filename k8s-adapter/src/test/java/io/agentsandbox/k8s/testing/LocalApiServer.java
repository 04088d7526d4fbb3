package io.agentsandbox.k8s.testing;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kubernetes control plane for integration tests: etcd + kube-apiserver (+
 * kube-controller-manager running the {@code garbagecollector}, {@code namespace} and {@code
 * pvc-protection} controllers), v1.20.2 as built by {@code scripts/kube-apiserver-build.sh}, on
 * free loopback ports with a static bearer token, in a temporary directory. There is no scheduler
 * and no kubelet: tests play the kubelet by patching pod status.
 *
 * <p>{@link #close()} stops every process and deletes the directory; a JVM shutdown hook does the
 * same if the JVM exits first. Thread-safe after {@link #start}.
 *
 * <p>Binaries: {@code -Dagentsandbox.kube.bin} or {@code $AGENT_SANDBOX_KUBE_BIN}, else {@code
 * ${AGENT_SANDBOX_CACHE:-~/.cache/agent-sandbox}/kube-1.20.2/bin}; etcd from that directory or the
 * {@code PATH}.
 */
public final class LocalApiServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LocalApiServer.class);
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  private static final int START_ATTEMPTS = 3;
  private static final String BUILD_HINT =
      "Build them once (about 4-5 min, needs root for apt): scripts/kube-apiserver-build.sh";

  private final Path workDir;
  private final List<Process> processes = new ArrayList<>(); // start order
  private final String url;
  private final String token;
  private final Thread shutdownHook;
  private volatile long apiserverReadyMillis;
  private KubernetesClient client;
  private volatile boolean closed;
  // restartApiServer (synchronized)
  private List<String> apiserverCommand;
  private Process apiserver;
  private int apiserverRestarts;

  private LocalApiServer(Path workDir, String url, String token) {
    this.workDir = workDir;
    this.url = url;
    this.token = token;
    this.shutdownHook = new Thread(this::stopQuietly, "local-apiserver-shutdown");
  }

  /** The directory holding kube-apiserver and kube-controller-manager. */
  public static Path binDir() {
    String explicit =
        System.getProperty("agentsandbox.kube.bin", System.getenv("AGENT_SANDBOX_KUBE_BIN"));
    if (explicit != null && !explicit.isBlank()) return Path.of(explicit);
    String cache = System.getProperty("agentsandbox.cache", System.getenv("AGENT_SANDBOX_CACHE"));
    if (cache == null || cache.isBlank())
      cache = System.getProperty("user.home") + "/.cache/agent-sandbox";
    return Path.of(cache, "kube-1.20.2", "bin");
  }

  /**
   * Starts etcd, kube-apiserver and kube-controller-manager and waits (bounded) until the API
   * server is ready and the {@code default} namespace exists.
   *
   * @throws IllegalStateException when a binary is missing (the message says how to build it) or
   *     the control plane does not come up in time (the message carries the log tails)
   */
  public static LocalApiServer start() {
    return start(null);
  }

  /**
   * Like {@link #start()}, and applies the CRDs in {@code crdsDir} (when not null) before
   * kube-controller-manager starts, so that its garbage collector knows their kinds from the
   * beginning (it rediscovers resources only every 30 s).
   */
  public static LocalApiServer start(Path crdsDir) {
    Path bin = binDir();
    Path apiserver = bin.resolve("kube-apiserver");
    Path controllerManager = bin.resolve("kube-controller-manager");
    Path etcd = findEtcd(bin);
    if (!Files.isExecutable(apiserver) || !Files.isExecutable(controllerManager) || etcd == null) {
      throw new IllegalStateException(
          "The integration tests need kube-apiserver + kube-controller-manager v1.20.2 in "
              + bin
              + " and etcd (Debian etcd-server); missing: "
              + (Files.isExecutable(apiserver) ? "" : "kube-apiserver ")
              + (Files.isExecutable(controllerManager) ? "" : "kube-controller-manager ")
              + (etcd == null ? "etcd" : "")
              + ". "
              + BUILD_HINT);
    }
    IllegalStateException last = null;
    for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      try {
        return startOnce(apiserver, controllerManager, etcd, crdsDir);
      } catch (IllegalStateException e) {
        // NOTE: free ports are picked by binding port 0 and releasing it, so another process can
        // take one before etcd/apiserver binds it; a fresh set of ports fixes that.
        last = e;
        LOG.warn("local control plane start attempt {} failed: {}", attempt, e.getMessage());
      }
    }
    throw last;
  }

  private static Path findEtcd(Path bin) {
    if (Files.isExecutable(bin.resolve("etcd"))) return bin.resolve("etcd");
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      Path p = Path.of(dir, "etcd");
      if (Files.isExecutable(p)) return p;
    }
    return null;
  }

  private static LocalApiServer startOnce(
      Path apiserverBin, Path controllerManagerBin, Path etcdBin, Path crdsDir) {
    long t0 = System.nanoTime();
    Path dir;
    try {
      dir = Files.createTempDirectory("agent-sandbox-kube-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int etcdPort = freePort();
    int etcdPeerPort = freePort();
    int apiPort = freePort();
    String token = UUID.randomUUID().toString();
    String url = "https://127.0.0.1:" + apiPort;
    LocalApiServer server = new LocalApiServer(dir, url, token);
    Runtime.getRuntime().addShutdownHook(server.shutdownHook);
    try {
      Files.createDirectories(dir.resolve("certs"));
      Files.writeString(
          dir.resolve("tokens.csv"),
          token
              + ",admin,admin,system:masters\n"
              + server.userToken("alice")
              + ",alice,alice-uid,\"agent-sandbox:tenant:team-a,developers\"\n"
              + server.userToken("bob")
              + ",bob,bob-uid\n");
      writeServiceAccountKey(dir.resolve("sa.key"));
      Files.writeString(dir.resolve("kubeconfig.yaml"), kubeconfig(url, token));

      String etcdUrl = "http://127.0.0.1:" + etcdPort;
      String peerUrl = "http://127.0.0.1:" + etcdPeerPort;
      server.launch(
          "etcd",
          List.of(
              etcdBin.toString(),
              "--name",
              "t",
              "--data-dir",
              dir.resolve("etcd-data").toString(),
              "--listen-client-urls",
              etcdUrl,
              "--advertise-client-urls",
              etcdUrl,
              "--listen-peer-urls",
              peerUrl,
              "--initial-advertise-peer-urls",
              peerUrl,
              "--initial-cluster",
              "t=" + peerUrl,
              "--log-level",
              "warn"));
      server.apiserverCommand =
          List.of(
              apiserverBin.toString(),
              "--etcd-servers",
              etcdUrl,
              "--bind-address",
              "127.0.0.1",
              "--advertise-address",
              "127.0.0.1",
              "--secure-port",
              Integer.toString(apiPort),
              "--insecure-port",
              "0",
              "--cert-dir",
              dir.resolve("certs").toString(),
              "--token-auth-file",
              dir.resolve("tokens.csv").toString(),
              "--authorization-mode",
              "RBAC",
              "--service-account-issuer",
              "https://kubernetes.default.svc",
              "--service-account-key-file",
              dir.resolve("sa.key").toString(),
              "--service-account-signing-key-file",
              dir.resolve("sa.key").toString(),
              "--service-cluster-ip-range",
              "10.0.0.0/24",
              "--disable-admission-plugins",
              "ServiceAccount",
              // NOTE: APF would queue the tests' bursts of writes; these tests measure our code,
              // not APF.
              "--enable-priority-and-fairness=false",
              "--max-requests-inflight",
              "2000",
              "--max-mutating-requests-inflight",
              "1000",
              "--profiling=false");
      server.apiserver = server.launch("kube-apiserver", server.apiserverCommand);
      server.awaitReady(t0);
      server.apiserverReadyMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      if (crdsDir != null) server.applyCrds(crdsDir);
      server.launch(
          "kube-controller-manager",
          List.of(
              controllerManagerBin.toString(),
              "--kubeconfig",
              dir.resolve("kubeconfig.yaml").toString(),
              "--controllers",
              "garbagecollector,namespace,pvc-protection",
              "--leader-elect=false",
              "--port=0",
              "--secure-port=0",
              "--profiling=false"));
      LOG.info(
          "local control plane up at {}: kube-apiserver ready in {} ms, all up (CRDs applied) in {} ms (dir {})",
          url,
          server.apiserverReadyMillis,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0),
          dir);
      return server;
    } catch (IOException e) {
      server.close();
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      String logs = server.logTails();
      server.close();
      throw new IllegalStateException(e.getMessage() + "\n" + logs, e);
    }
  }

  /**
   * Bash watchdog around each process: it ends the process within about a second when this JVM dies
   * without running its shutdown hook (a crashed test fork, SIGKILL), and then deletes the work
   * directory. Without it etcd and kube-apiserver would be orphaned.
   */
  private static final String WATCHDOG =
      "jvm=$1; dir=$2; shift 2; \"$@\" & c=$!; trap 'kill $c 2>/dev/null' TERM INT; "
          + "while kill -0 $jvm 2>/dev/null && kill -0 $c 2>/dev/null; do sleep 1 & wait $!; done; "
          + "kill $c 2>/dev/null; for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 $c 2>/dev/null || break; sleep 1; done; "
          + "kill -9 $c 2>/dev/null; wait $c; if ! kill -0 $jvm 2>/dev/null; then rm -rf \"$dir\"; fi";

  /**
   * Stops kube-apiserver (SIGTERM, then SIGKILL after 10 s) and starts it again with the same
   * flags, on the same port and etcd; returns when it answers again. Every watch and connection
   * breaks, no stored object is lost: what a control-plane restart or upgrade does to its clients.
   *
   * @return milliseconds the API server was unreachable (from the stop to ready again)
   */
  public synchronized long restartApiServer() {
    long t0 = System.nanoTime();
    Process old = apiserver;
    old.destroy();
    try {
      if (!old.waitFor(10, TimeUnit.SECONDS)) {
        old.descendants().forEach(ProcessHandle::destroyForcibly);
        old.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
      // The bash watchdog has killed kube-apiserver when it exits; wait until the port is free.
      URI uri = URI.create(url);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < deadline) {
        try (java.net.Socket probe = new java.net.Socket(uri.getHost(), uri.getPort())) {
          pause(100);
        } catch (IOException refused) {
          break;
        }
      }
      synchronized (processes) {
        processes.remove(old);
      }
      apiserver = launch("kube-apiserver-" + (++apiserverRestarts), apiserverCommand);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while restarting kube-apiserver", e);
    }
    awaitReady(System.nanoTime());
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    LOG.info("kube-apiserver restarted on {}: unreachable for {} ms", url, ms);
    return ms;
  }

  private Process launch(String name, List<String> command) throws IOException {
    List<String> wrapped =
        new ArrayList<>(
            List.of(
                "/bin/bash",
                "-c",
                WATCHDOG,
                "watchdog",
                Long.toString(ProcessHandle.current().pid()),
                workDir.toString()));
    wrapped.addAll(command);
    Process p =
        new ProcessBuilder(wrapped)
            .directory(workDir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(workDir.resolve(name + ".log").toFile())
            .start();
    synchronized (processes) {
      processes.add(p);
    }
    return p;
  }

  private void awaitReady(long t0) {
    HttpClient http =
        HttpClient.newBuilder()
            .sslContext(trustAll())
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    long deadline = t0 + READY_TIMEOUT.toNanos();
    String last = "no answer";
    boolean ready = false;
    while (System.nanoTime() < deadline) {
      synchronized (processes) {
        for (Process p : processes) {
          if (!p.isAlive())
            throw new IllegalStateException("a control-plane process exited with " + p.exitValue());
        }
      }
      try {
        String path = ready ? "/api/v1/namespaces/default" : "/readyz";
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create(url + path))
                    .header("Authorization", "Bearer " + token)
                    .timeout(Duration.ofSeconds(5))
                    .GET()
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          if (ready) return;
          ready = true;
          continue;
        }
        last = r.statusCode() + " " + r.body();
      } catch (IOException e) {
        last = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the API server", e);
      }
      pause(100);
    }
    throw new IllegalStateException(
        "kube-apiserver not ready within " + READY_TIMEOUT + ": " + last);
  }

  /** The API server's URL, {@code https://127.0.0.1:<port>}. */
  public String url() {
    return url;
  }

  /**
   * The bearer token of an unprivileged user known to the API server (no RBAC bindings): {@code
   * alice} (groups {@code agent-sandbox:tenant:team-a}, {@code developers}) or {@code bob} (no
   * groups). For authentication tests (TokenReview); derived from {@link #token()}, so unique per
   * server.
   */
  public String userToken(String user) {
    if (!user.equals("alice") && !user.equals("bob"))
      throw new IllegalArgumentException("no such test user: " + user);
    return UUID.nameUUIDFromBytes((token + "/" + user).getBytes(StandardCharsets.UTF_8)).toString();
  }

  /** The bearer token of a {@code system:masters} user. */
  public String token() {
    return token;
  }

  /** Milliseconds from launching etcd to kube-apiserver answering {@code /readyz} (for reports). */
  public long apiserverReadyMillis() {
    return apiserverReadyMillis;
  }

  /** A client config for this server (trusts its self-signed certificate). */
  public Config config() {
    return new ConfigBuilder(Config.empty())
        .withMasterUrl(url)
        .withOauthToken(token)
        .withTrustCerts(true)
        .withNamespace("default")
        .withRequestTimeout(30_000)
        .withConnectionTimeout(5_000)
        .build();
  }

  /** A shared client, built on first use; closed by {@link #close()}. */
  public synchronized KubernetesClient client() {
    if (client == null) client = newClient();
    return client;
  }

  /** Creates namespace {@code name} through the shared client; returns {@code name}. */
  public String createNamespace(String name) {
    client()
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .create();
    return name;
  }

  /** A new client the caller closes. */
  public KubernetesClient newClient() {
    return new KubernetesClientBuilder().withConfig(config()).build();
  }

  /**
   * Applies every {@code *.yaml} CRD in {@code dir} and waits (bounded) until each is Established.
   *
   * @return the applied CRDs' names
   */
  public List<String> applyCrds(Path dir) {
    List<String> names = new ArrayList<>();
    KubernetesClient c = client();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f :
          (Iterable<Path>) files.filter(p -> p.toString().endsWith(".yaml")).sorted()::iterator) {
        CustomResourceDefinition crd =
            c.apiextensions().v1().customResourceDefinitions().load(f.toFile()).item();
        c.apiextensions()
            .v1()
            .customResourceDefinitions()
            .resource(crd)
            .createOr(NonDeletingOperation::update);
        names.add(crd.getMetadata().getName());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (String name : names) {
      c.apiextensions()
          .v1()
          .customResourceDefinitions()
          .withName(name)
          .waitUntilCondition(
              crd ->
                  crd != null
                      && crd.getStatus() != null
                      && crd.getStatus().getConditions() != null // none yet, just after create
                      && crd.getStatus().getConditions().stream()
                          .anyMatch(
                              k ->
                                  "Established".equals(k.getType())
                                      && "True".equals(k.getStatus())),
              30,
              TimeUnit.SECONDS);
    }
    return names;
  }

  /** Stops kube-controller-manager, kube-apiserver and etcd, and deletes the work directory. */
  @Override
  public void close() {
    stopQuietly();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // the hook is running or has run; nothing left to do
    }
  }

  private void stopQuietly() {
    if (closed) return;
    closed = true;
    synchronized (this) {
      if (client != null) client.close();
    }
    List<Process> reversed;
    synchronized (processes) {
      reversed = new ArrayList<>(processes);
    }
    java.util.Collections.reverse(reversed);
    // NOTE: one at a time, last started first: kube-apiserver shuts down slowly once etcd is gone.
    for (Process p : reversed) {
      p.destroy();
      try {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.descendants().forEach(ProcessHandle::destroyForcibly);
          p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    deleteRecursively(workDir);
  }

  private String logTails() {
    StringBuilder sb = new StringBuilder();
    for (String name : List.of("etcd", "kube-apiserver", "kube-controller-manager")) {
      Path log = workDir.resolve(name + ".log");
      if (!Files.exists(log)) continue;
      try {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        sb.append("--- ").append(name).append(".log (tail) ---\n");
        lines
            .subList(Math.max(0, lines.size() - 15), lines.size())
            .forEach(l -> sb.append(l).append('\n'));
      } catch (IOException | UncheckedIOException e) {
        sb.append("(cannot read ").append(log).append(")\n");
      }
    }
    return sb.toString();
  }

  private static void deleteRecursively(Path dir) {
    if (dir == null || !Files.exists(dir)) return;
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      LOG.warn("could not delete {}: {}", dir, e.toString());
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void writeServiceAccountKey(Path file) throws IOException {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      byte[] pkcs8 = g.generateKeyPair().getPrivate().getEncoded();
      String pem =
          "-----BEGIN PRIVATE KEY-----\n"
              + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                  .encodeToString(pkcs8)
              + "\n-----END PRIVATE KEY-----\n";
      Files.writeString(file, pem);
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String kubeconfig(String url, String token) {
    return "apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n    server: "
        + url
        + "\n    insecure-skip-tls-verify: true\nusers:\n- name: admin\n  user:\n    token: "
        + token
        + "\ncontexts:\n- name: local\n  context:\n    cluster: local\n    user: admin\n"
        + "current-context: local\n";
  }

  private static SSLContext trustAll() {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(
          null,
          new TrustManager[] {
            new X509TrustManager() {
              @Override
              public void checkClientTrusted(X509Certificate[] chain, String authType) {}

              @Override
              public void checkServerTrusted(X509Certificate[] chain, String authType) {}

              @Override
              public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
              }
            }
          },
          new SecureRandom());
      return ctx;
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void pause(long millis) {
    // NOTE: a bounded poll interval while an external process boots, not test synchronisation.
    try {
      TimeUnit.MILLISECONDS.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
