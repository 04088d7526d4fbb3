package io.agentsandbox.scheduler.backend.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.testing.ClusterFixtures;
import io.agentsandbox.k8s.testing.Kubelet;
import io.agentsandbox.k8s.testing.LocalApiServer;
import io.agentsandbox.k8s.testing.LocalApiServerExtension;
import io.agentsandbox.k8s.testing.LocalApiServerExtension.TestNamespace;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClient;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of the server mid-burst on the Kubernetes backend: the server runs in its own JVM
 * ({@code Main --backend kubernetes}) against the local kube-apiserver, this test plays the
 * kubelet, fires a burst of HTTP claims, sends SIGKILL once some have been answered {@code 201} and
 * others are in flight, and starts the server again. Then every {@code 201} still names the same
 * Sandbox (read back through the new process and from its SandboxClaim), no Sandbox is owned by two
 * claims, every Sandbox has an owner (pool or claim), and the pool is back at its target.
 */
@ExtendWith(LocalApiServerExtension.class)
class KubernetesCrashRecoveryIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int REPLICAS = 40;
  private static final int BURST = 80;
  private static final int KILL_AFTER_ACKS = 15;

  @TempDir Path tmp;
  private final List<Process> servers = new ArrayList<>();
  private Kubelet.Node kubelet;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @AfterEach
  void tearDown() throws Exception {
    for (Process p : servers) {
      p.destroy();
      if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly();
    }
    if (kubelet != null) kubelet.close();
  }

  private record Ack(String claimId, String sandbox) {}

  @Test
  void shouldKeepEveryAcknowledgedBindingAcrossAKill9MidBurst(
      LocalApiServer api, KubernetesClient c, TestNamespace tns) throws Exception {
    String ns = tns.name();
    kubelet = Kubelet.play(c, ns, 6);
    ClusterFixtures.createTemplateAndPool(c, ns, "crash", "crash-pool", REPLICAS);
    Path kubeconfig = KubernetesBackendIT.writeKubeconfig(api, tmp);
    Path log = tmp.resolve("server.log");

    int port = freePort();
    Process first = startServer(kubeconfig, ns, port, log);
    awaitReady(first, port, log);
    ClusterFixtures.awaitPoolReady(c, ns, "crash-pool", REPLICAS);

    // The burst: BURST claims from 16 threads; SIGKILL once KILL_AFTER_ACKS have their 201.
    Map<String, Ack> acked = new ConcurrentHashMap<>();
    CountDownLatch enough = new CountDownLatch(KILL_AFTER_ACKS);
    AtomicInteger failed = new AtomicInteger();
    ExecutorService clients = Executors.newFixedThreadPool(16);
    List<Future<?>> calls = new ArrayList<>();
    for (int i = 0; i < BURST; i++) {
      calls.add(
          clients.submit(
              () -> {
                try {
                  HttpResponse<String> r =
                      http.send(
                          HttpRequest.newBuilder(
                                  URI.create("http://127.0.0.1:" + port + "/v1/claims"))
                              .timeout(Duration.ofSeconds(30))
                              .header("content-type", "application/json")
                              .POST(
                                  HttpRequest.BodyPublishers.ofString(
                                      "{\"pool\":\"" + ns + "/crash-pool\",\"waitMs\":20000}"))
                              .build(),
                          HttpResponse.BodyHandlers.ofString());
                  if (r.statusCode() == 201) {
                    JsonNode body = JSON.readTree(r.body());
                    Ack a =
                        new Ack(
                            body.get("claimId").asText(), body.get("sandbox").get("name").asText());
                    acked.put(a.claimId(), a);
                    enough.countDown();
                  } else {
                    failed.incrementAndGet();
                  }
                } catch (IOException e) {
                  failed.incrementAndGet(); // the connection died with the server: not acknowledged
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }));
    }
    assertThat(enough.await(60, TimeUnit.SECONDS))
        .as("%d claims answered 201 before the kill", KILL_AFTER_ACKS)
        .isTrue();
    first.destroyForcibly(); // SIGKILL
    assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
    for (Future<?> f : calls) f.get(60, TimeUnit.SECONDS);
    clients.shutdown();
    Map<String, Ack> acks = new HashMap<>(acked);
    System.out.printf(
        "CRASH-K8S: %d of %d claims acknowledged (201) before SIGKILL, %d failed or cut off%n",
        acks.size(), BURST, failed.get());
    assertThat(acks.size()).isGreaterThanOrEqualTo(KILL_AFTER_ACKS);
    assertThat(acks.size() + failed.get()).isEqualTo(BURST);

    // Restart on the same cluster state.
    int port2 = freePort();
    Process second = startServer(kubeconfig, ns, port2, log);
    awaitReady(second, port2, log);

    // 1. every 201 is still bound to the same Sandbox: through the new process and in its
    // SandboxClaim
    for (Ack a : acks.values()) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + port2 + "/v1/claims/" + a.claimId()))
                  .timeout(Duration.ofSeconds(30))
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode())
          .as("GET claim %s after restart: %s", a.claimId(), r.body())
          .isEqualTo(200);
      assertThat(JSON.readTree(r.body()).get("sandbox").get("name").asText())
          .isEqualTo(a.sandbox());
      // the status may have been lost with the kill (it is written after the 201): recovery
      // rewrites it
      SandboxClaim claim =
          c.resources(SandboxClaim.class)
              .inNamespace(ns)
              .withName(a.claimId())
              .waitUntilCondition(
                  x ->
                      x != null
                          && x.getStatus() != null
                          && x.getStatus().getSandbox() != null
                          && x.getStatus().getSandbox().getName() != null,
                  60,
                  TimeUnit.SECONDS);
      assertThat(claim.getStatus().getSandbox().getName()).isEqualTo(a.sandbox());
      Sandbox sb = c.resources(Sandbox.class).inNamespace(ns).withName(a.sandbox()).get();
      assertThat(sb).as("sandbox %s of claim %s", a.sandbox(), a.claimId()).isNotNull();
      assertThat(ClusterFixtures.controllerOf(sb).getUid()).isEqualTo(claim.getMetadata().getUid());
    }
    assertThat(new HashSet<>(acks.values().stream().map(Ack::sandbox).toList()))
        .hasSize(acks.size());

    // 2. pools back at target, then: no Sandbox owned by two claims, none owned by nothing
    ClusterFixtures.awaitPoolReady(c, ns, "crash-pool", REPLICAS);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    List<String> problems;
    int claimOwned;
    int poolOwned;
    while (true) {
      problems = new ArrayList<>();
      claimOwned = 0;
      poolOwned = 0;
      Map<String, String> sandboxOfClaimUid = new HashMap<>();
      for (Sandbox s : c.resources(Sandbox.class).inNamespace(ns).list().getItems()) {
        if (s.getMetadata().getDeletionTimestamp() != null) continue;
        List<OwnerReference> owners =
            s.getMetadata().getOwnerReferences() == null
                ? List.of()
                : s.getMetadata().getOwnerReferences();
        long claimOwners = owners.stream().filter(o -> "SandboxClaim".equals(o.getKind())).count();
        OwnerReference ctl = ClusterFixtures.controllerOf(s);
        if (claimOwners > 1)
          problems.add(s.getMetadata().getName() + " owned by " + claimOwners + " claims");
        if (ctl == null) problems.add(s.getMetadata().getName() + " owned by nothing");
        else if ("SandboxClaim".equals(ctl.getKind())) {
          claimOwned++;
          String other = sandboxOfClaimUid.put(ctl.getUid(), s.getMetadata().getName());
          if (other != null)
            problems.add(
                "claim " + ctl.getName() + " owns " + other + " and " + s.getMetadata().getName());
        } else poolOwned++;
      }
      if (problems.isEmpty() || System.nanoTime() - deadline > 0) break;
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
    }
    System.out.printf(
        "CRASH-K8S: after restart %d sandboxes bound to claims (%d acknowledged), %d pool members; problems: %s%n",
        claimOwned, acks.size(), poolOwned, problems);
    assertThat(problems).isEmpty();
    assertThat(claimOwned).isGreaterThanOrEqualTo(acks.size());
    assertThat(poolOwned).isGreaterThanOrEqualTo(REPLICAS);
  }

  /**
   * A claim answered from the binding journal whose SandboxClaim the previous run did not create
   * (the state a crash right after the 201 leaves): the next start creates it, adopts the sandbox,
   * serves the claim, retires the entry and refills the pool around it.
   */
  @Test
  void shouldCreateTheSandboxClaimOfAJournaledBindingOnRestart(
      LocalApiServer api, KubernetesClient c, TestNamespace tns) throws Exception {
    String ns = tns.name();
    kubelet = Kubelet.play(c, ns, 6);
    ClusterFixtures.createTemplateAndPool(c, ns, "journal", "journal-pool", 3);
    Path kubeconfig = KubernetesBackendIT.writeKubeconfig(api, tmp);
    Path log = tmp.resolve("server.log");
    int port = freePort();
    Process first = startServer(kubeconfig, ns, port, log);
    awaitReady(first, port, log);
    ClusterFixtures.awaitPoolReady(c, ns, "journal-pool", 3);
    first.destroy();
    assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();

    // the journal as a crash right after the 201 leaves it: an entry, no SandboxClaim
    Sandbox member = c.resources(Sandbox.class).inNamespace(ns).list().getItems().get(0);
    String sandbox = member.getMetadata().getName();
    // a claim id names the shard that issued it: the one that owns the pool (2 shards, as started)
    String claimId =
        "cl-"
            + new io.agentsandbox.scheduler.shard.ShardRouter(2)
                .shardOf(new io.agentsandbox.core.model.PoolKey(ns, "journal-pool"))
            + "-journalreplaytestaaa";
    c.configMaps()
        .inNamespace(ns)
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("agent-sandbox-bindings-1")
                .addToLabels("agentsandbox.io/binding-journal", "true")
                .endMetadata()
                .addToData(
                    claimId,
                    JSON.writeValueAsString(
                        Map.of(
                            "claimId",
                            claimId,
                            "pool",
                            "journal-pool",
                            "sandbox",
                            sandbox,
                            "tenant",
                            "default",
                            "priority",
                            0,
                            "onEmpty",
                            "WAIT",
                            "launchType",
                            "WARM",
                            "ttlMs",
                            0,
                            "expiresAtEpochMs",
                            0)))
                .build())
        .create();

    int port2 = freePort();
    Process second = startServer(kubeconfig, ns, port2, log);
    awaitReady(second, port2, log);
    SandboxClaim claim =
        c.resources(SandboxClaim.class)
            .inNamespace(ns)
            .withName(claimId)
            .waitUntilCondition(
                x ->
                    x != null
                        && x.getStatus() != null
                        && x.getStatus().getSandbox() != null
                        && sandbox.equals(x.getStatus().getSandbox().getName()),
                60,
                TimeUnit.SECONDS);
    c.resources(Sandbox.class)
        .inNamespace(ns)
        .withName(sandbox)
        .waitUntilCondition(
            x ->
                x != null
                    && ClusterFixtures.controllerOf(x) != null
                    && claim
                        .getMetadata()
                        .getUid()
                        .equals(ClusterFixtures.controllerOf(x).getUid()),
            60,
            TimeUnit.SECONDS);
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port2 + "/v1/claims/" + claimId))
                .timeout(Duration.ofSeconds(30))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode())
        .as("%s\nserver log:\n%s", r.body(), String.join("\n", Files.readAllLines(log)))
        .isEqualTo(200);
    assertThat(JSON.readTree(r.body()).get("sandbox").get("name").asText()).isEqualTo(sandbox);
    c.configMaps()
        .inNamespace(ns)
        .withName("agent-sandbox-bindings-1")
        .waitUntilCondition(
            m -> m != null && (m.getData() == null || !m.getData().containsKey(claimId)),
            30,
            TimeUnit.SECONDS);
    ClusterFixtures.awaitPoolReady(c, ns, "journal-pool", 3);
  }

  private Process startServer(Path kubeconfig, String ns, int port, Path log) throws IOException {
    String cp =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-ea",
                "-cp",
                cp,
                "io.agentsandbox.scheduler.Main",
                "--host",
                "127.0.0.1",
                "--port",
                Integer.toString(port),
                "--backend",
                "kubernetes",
                "--kubeconfig",
                kubeconfig.toString(),
                "--watch-namespace",
                ns,
                "--shards",
                "2",
                "--http-instances",
                "1")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    servers.add(p);
    return p;
  }

  private void awaitReady(Process server, int port, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (true) {
      if (!server.isAlive())
        throw new AssertionError(
            "server exited " + server.exitValue() + ":\n" + Files.readString(log));
      try {
        if (http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz"))
                        .timeout(Duration.ofSeconds(5))
                        .build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode()
            == 200) return;
      } catch (IOException e) {
        // not listening yet
      }
      if (System.nanoTime() - deadline > 0)
        throw new AssertionError("server not ready within 120 s:\n" + Files.readString(log));
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
