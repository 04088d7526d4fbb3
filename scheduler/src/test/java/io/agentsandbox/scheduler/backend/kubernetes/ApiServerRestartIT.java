package io.agentsandbox.scheduler.backend.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentsandbox.k8s.backend.KubernetesBackendConfig;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.testing.ClusterFixtures;
import io.agentsandbox.k8s.testing.Kubelet;
import io.agentsandbox.k8s.testing.LocalApiServer;
import io.agentsandbox.k8s.testing.LocalApiServerExtension;
import io.agentsandbox.scheduler.SchedulerServer;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API server restarts (every watch breaks) while HTTP claims are in flight: afterwards every
 * claim answered {@code 201} is bound once, to the Sandbox its answer named; no Sandbox is owned by
 * two claims or by nothing; new HTTP claims and a new SandboxClaim are bound (the informers
 * resynced); the pool is back at its target. Uses its own kube-apiserver, so that restarting it
 * disturbs no other test.
 */
class ApiServerRestartIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String NS = "restart-test";
  private static final int REPLICAS = 20;

  @TempDir Path tmp;
  private LocalApiServer api;
  private SchedulerServer server;
  private Kubelet.Node kubelet;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @AfterEach
  void tearDown() throws Exception {
    if (server != null)
      server.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    if (kubelet != null) kubelet.close();
    if (api != null) api.close();
  }

  private record Answer(int status, String claimId, String sandbox, String code) {}

  private Answer claim() {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/claims"))
                  .timeout(Duration.ofSeconds(60))
                  .header("content-type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"pool\":\"" + NS + "/r-pool\",\"waitMs\":30000}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      JsonNode body = JSON.readTree(r.body());
      if (r.statusCode() == 201)
        return new Answer(
            201, body.get("claimId").asText(), body.get("sandbox").get("name").asText(), null);
      return new Answer(r.statusCode(), null, null, body.path("error").path("code").asText());
    } catch (IOException e) {
      return new Answer(-1, null, null, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Answer(-1, null, null, "interrupted");
    }
  }

  @Test
  void shouldNeitherLoseNorDuplicateBindingsWhenTheApiServerRestartsMidBurst() throws Exception {
    api = LocalApiServer.start(LocalApiServerExtension.crdsDir());
    KubernetesClient c = api.client();
    api.createNamespace(NS);
    kubelet = Kubelet.play(c, NS, 6);
    ClusterFixtures.createTemplateAndPool(c, NS, "r", "r-pool", REPLICAS);
    Path kubeconfig = KubernetesBackendIT.writeKubeconfig(api, tmp);
    server =
        KubernetesBackendIT.start(api, kubeconfig, new KubernetesBackendConfig(kubeconfig, NS));
    ClusterFixtures.awaitPoolReady(c, NS, "r-pool", REPLICAS);

    // 40 claims from 8 threads; the API server restarts once 5 have been answered.
    ExecutorService clients = Executors.newFixedThreadPool(8);
    CountDownLatch started = new CountDownLatch(5);
    List<Future<Answer>> inFlight = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      inFlight.add(
          clients.submit(
              () -> {
                Answer a = claim();
                started.countDown();
                return a;
              }));
    }
    assertThat(started.await(60, TimeUnit.SECONDS)).isTrue();
    long downMs = api.restartApiServer();
    List<Answer> answers = new ArrayList<>();
    for (Future<Answer> f : inFlight) answers.add(f.get(120, TimeUnit.SECONDS));

    // After the restart: new HTTP claims are bound, and so is a SandboxClaim made through the API.
    List<Future<Answer>> after = new ArrayList<>();
    for (int i = 0; i < 10; i++) after.add(clients.submit(this::claim));
    List<Answer> afterAnswers = new ArrayList<>();
    for (Future<Answer> f : after) afterAnswers.add(f.get(120, TimeUnit.SECONDS));
    clients.shutdown();
    assertThat(afterAnswers).as("claims after the restart").allMatch(a -> a.status() == 201);
    c.resources(SandboxClaim.class)
        .inNamespace(NS)
        .resource(ClusterFixtures.claim(NS, "after-restart", "r-pool"))
        .create();
    ClusterFixtures.awaitBound(c, NS, "after-restart");

    Map<String, Integer> statuses = new TreeMap<>();
    for (Answer a : answers)
      statuses.merge(a.status() == 201 ? "201" : a.status() + " " + a.code(), 1, Integer::sum);
    System.out.printf(
        "APISERVER-RESTART: unreachable %d ms; 40 claims in flight answered %s; 10 after: all 201%n",
        downMs, statuses);

    List<Answer> acked = new ArrayList<>(answers.stream().filter(a -> a.status() == 201).toList());
    acked.addAll(afterAnswers);
    assertThat(new HashSet<>(acked.stream().map(Answer::sandbox).toList()))
        .as("no sandbox in two 201s")
        .hasSize(acked.size());
    for (Answer a : acked) {
      // An HTTP claim's SandboxClaim and its status are written after the 201 (the journal made
      // the binding durable first): wait, bounded, for both and the adoption.
      SandboxClaim claim = ClusterFixtures.awaitBound(c, NS, a.claimId());
      assertThat(claim).as("SandboxClaim of 201 %s", a.claimId()).isNotNull();
      assertThat(claim.getStatus().getSandbox().getName()).isEqualTo(a.sandbox());
      Sandbox sb = c.resources(Sandbox.class).inNamespace(NS).withName(a.sandbox()).get();
      assertThat(sb).as("sandbox %s of claim %s", a.sandbox(), a.claimId()).isNotNull();
      assertThat(ClusterFixtures.controllerOf(sb).getUid()).isEqualTo(claim.getMetadata().getUid());
    }

    ClusterFixtures.awaitPoolReady(c, NS, "r-pool", REPLICAS);
    for (Sandbox s : c.resources(Sandbox.class).inNamespace(NS).list().getItems()) {
      if (s.getMetadata().getDeletionTimestamp() != null) continue;
      List<OwnerReference> owners =
          s.getMetadata().getOwnerReferences() == null
              ? List.of()
              : s.getMetadata().getOwnerReferences();
      assertThat(owners.stream().filter(o -> "SandboxClaim".equals(o.getKind())).count())
          .as(s.getMetadata().getName())
          .isLessThanOrEqualTo(1);
      assertThat(ClusterFixtures.controllerOf(s))
          .as("owner of " + s.getMetadata().getName())
          .isNotNull();
    }
    Map<String, String> claimOfSandbox = new ConcurrentHashMap<>();
    for (SandboxClaim cl : c.resources(SandboxClaim.class).inNamespace(NS).list().getItems()) {
      if (cl.getStatus() == null
          || cl.getStatus().getSandbox() == null
          || cl.getStatus().getSandbox().getName() == null) continue;
      String other =
          claimOfSandbox.put(cl.getStatus().getSandbox().getName(), cl.getMetadata().getName());
      assertThat(other)
          .as(
              "sandbox %s named by claims %s and %s",
              cl.getStatus().getSandbox().getName(), other, cl.getMetadata().getName())
          .isNull();
    }
  }
}
