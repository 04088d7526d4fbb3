package io.agentsandbox.scheduler.backend.kubernetes;

import static io.agentsandbox.k8s.testing.ClusterFixtures.awaitBound;
import static io.agentsandbox.k8s.testing.ClusterFixtures.awaitPoolReady;
import static io.agentsandbox.k8s.testing.ClusterFixtures.claim;
import static io.agentsandbox.k8s.testing.ClusterFixtures.controllerOf;
import static io.agentsandbox.k8s.testing.ClusterFixtures.createTemplateAndPool;
import static io.agentsandbox.k8s.testing.ClusterFixtures.readyStatus;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentsandbox.k8s.backend.KubernetesBackendConfig;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.crd.SandboxWarmPool;
import io.agentsandbox.k8s.crd.UpstreamKeys;
import io.agentsandbox.k8s.testing.Kubelet;
import io.agentsandbox.k8s.testing.LocalApiServer;
import io.agentsandbox.k8s.testing.LocalApiServerExtension;
import io.agentsandbox.k8s.testing.LocalApiServerExtension.TestNamespace;
import io.agentsandbox.scheduler.Main;
import io.agentsandbox.scheduler.SchedulerServer;
import io.agentsandbox.scheduler.SecurityConfig;
import io.agentsandbox.scheduler.backend.local.LocalBackendConfig;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --backend kubernetes} end to end on a real kube-apiserver: pools from SandboxWarmPool +
 * SandboxTemplate, members made by the engine and run by the in-process Sandbox reconciler (this
 * test plays the kubelet), SandboxClaims and HTTP claims bound by the shards, writes per warm claim
 * counted, restart in the middle of a burst.
 */
@ExtendWith(LocalApiServerExtension.class)
class KubernetesBackendIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;
  private SchedulerServer server;
  private Kubelet.Node kubelet;

  @AfterEach
  void tearDown() throws Exception {
    if (server != null)
      server.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    if (kubelet != null) kubelet.close();
  }

  @Test
  void shouldBindSandboxClaimsAndHttpClaimsFromTheWarmPoolInAtMostThreeWrites(
      LocalApiServer api, KubernetesClient c, TestNamespace tns) throws Exception {
    String ns = tns.name();
    kubelet = Kubelet.play(c, ns, 6);
    createTemplateAndPool(c, ns, "py", "py-pool", 3);
    server = startServer(api, ns);
    awaitPoolReady(c, ns, "py-pool", 3);

    // 1. an upstream-style claim: warmPoolRef, watch until Ready, read status.sandbox.name and
    // podIPs
    Map<String, Long> before = server.kubernetes().apiWrites();
    long t0 = System.nanoTime();
    c.resources(SandboxClaim.class)
        .inNamespace(ns)
        .resource(claim(ns, "claim-a", "py-pool"))
        .create();
    SandboxClaim bound = awaitBound(c, ns, "claim-a");
    long boundMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    Map<String, Long> delta = delta(before, server.kubernetes().apiWrites());
    long claimWrites = claimPathWrites(delta);
    System.out.printf(
        "WRITES per warm SandboxClaim: %d on the claim path (%s); all writes of the process in the window: %s; bound in %d ms%n",
        claimWrites, claimPath(delta), delta, boundMs);
    // one write binds it (the claim's status); the adoption follows: 2 in all
    assertThat(claimWrites).as("%s", delta).isLessThanOrEqualTo(2);

    String sbName = bound.getStatus().getSandbox().getName();
    assertThat(sbName).startsWith("py-pool-");
    assertThat(bound.getStatus().getSandbox().getPodIPs()).isNotEmpty();
    assertThat(readyStatus(bound.getStatus().getConditions())).isEqualTo("True");
    Sandbox sb = c.resources(Sandbox.class).inNamespace(ns).withName(sbName).get();
    OwnerReference owner = controllerOf(sb);
    assertThat(owner.getKind()).isEqualTo("SandboxClaim");
    assertThat(owner.getUid()).isEqualTo(bound.getMetadata().getUid());
    assertThat(sb.getMetadata().getOwnerReferences()).hasSize(1);
    assertThat(sb.getMetadata().getLabels())
        .doesNotContainKey(UpstreamKeys.WARM_POOL_SANDBOX)
        .doesNotContainKey(UpstreamKeys.SANDBOX_TEMPLATE_HASH)
        .containsEntry(UpstreamKeys.LAUNCH_TYPE, "warm")
        .containsEntry(UpstreamKeys.CLAIM_UID, bound.getMetadata().getUid())
        .containsEntry(UpstreamKeys.SANDBOX_TEMPLATE_REF_HASH, UpstreamKeys.nameHash("py"));
    assertThat(sb.getMetadata().getAnnotations()).containsEntry(UpstreamKeys.POD_NAME, sbName);
    assertThat(
            sb.getSpec().getPodTemplate().getMetadata().getAnnotations() == null
                || !sb.getSpec()
                    .getPodTemplate()
                    .getMetadata()
                    .getAnnotations()
                    .containsKey(UpstreamKeys.SAFE_TO_EVICT))
        .isTrue();

    // 2. an HTTP claim: bound by the same shard, and a SandboxClaim exists for it
    before = server.kubernetes().apiWrites();
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + "/v1/claims"))
                    .header("content-type", "application/json")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"pool\":\"" + ns + "/py-pool\",\"waitMs\":20000}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    JsonNode body = JSON.readTree(r.body());
    String claimId = body.get("claimId").asText();
    String httpSandbox = body.get("sandbox").get("name").asText();
    // The binding is durable before the 201: in the namespace's binding journal (one write for
    // the claims that arrive together); the SandboxClaim naming the sandbox, its adoption and
    // status follow, and the journal entry is retired once the SandboxClaim exists.
    SandboxClaim httpClaim = awaitBound(c, ns, claimId);
    assertThat(httpClaim.getMetadata().getAnnotations())
        .containsEntry(UpstreamKeys.SANDBOX_NAME, httpSandbox);
    Map<String, Long> httpDelta = delta(before, server.kubernetes().apiWrites());
    System.out.printf(
        "WRITES per warm HTTP claim: %d in all (%s); all: %s%n",
        claimPathWrites(httpDelta), claimPath(httpDelta), httpDelta);
    assertThat(httpDelta.getOrDefault("POST configmaps", 0L))
        .as("the journal write: %s", httpDelta)
        .isEqualTo(1L);
    assertThat(claimPathWrites(httpDelta)).as("%s", httpDelta).isLessThanOrEqualTo(4);
    awaitJournalRetired(c, ns, claimId);
    // every binding was one write, measured
    String metrics =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    assertThat(metrics)
        .contains("agent_sandbox_k8s_binding_seconds_count 2")
        .contains("agent_sandbox_k8s_api_writes_total{request=\"PATCH sandboxclaims/status\"}")
        .contains("agent_sandbox_k8s_write_queue_depth{queue=\"bind\"}");
    assertThat(httpClaim.getStatus().getSandbox().getName()).isEqualTo(httpSandbox);
    assertThat(
            controllerOf(c.resources(Sandbox.class).inNamespace(ns).withName(httpSandbox).get())
                .getUid())
        .isEqualTo(httpClaim.getMetadata().getUid());
    assertThat(httpSandbox).isNotEqualTo(sbName);

    // 3. a claim naming a missing pool gets upstream's reason
    c.resources(SandboxClaim.class)
        .inNamespace(ns)
        .resource(claim(ns, "claim-nopool", "no-such-pool"))
        .create();
    c.resources(SandboxClaim.class)
        .inNamespace(ns)
        .withName("claim-nopool")
        .waitUntilCondition(
            x ->
                x != null
                    && x.getStatus() != null
                    && x.getStatus().getConditions() != null
                    && x.getStatus().getConditions().stream()
                        .anyMatch(k -> "WarmPoolNotFound".equals(k.getReason())),
            30,
            TimeUnit.SECONDS);

    // 4. Ready is forwarded from the Sandbox: its pod fails, the claim says so
    Kubelet.markTerminal(c, ns, sbName, "Failed");
    c.resources(SandboxClaim.class)
        .inNamespace(ns)
        .withName("claim-a")
        .waitUntilCondition(
            x -> x != null && "False".equals(readyStatus(x.getStatus().getConditions())),
            30,
            TimeUnit.SECONDS);

    // 5. the pool's status is kept (throttled merge patch)
    SandboxWarmPool pool =
        c.resources(SandboxWarmPool.class).inNamespace(ns).withName("py-pool").get();
    assertThat(pool.getStatus().getSelector())
        .isEqualTo(UpstreamKeys.WARM_POOL_SANDBOX + "=" + UpstreamKeys.nameHash("py-pool"));
  }

  @Test
  void shouldBindABurstOfClaimsOnceEachAcrossARestart(
      LocalApiServer api, KubernetesClient c, TestNamespace tns) throws Exception {
    String ns = tns.name();
    int n = 100;
    kubelet = Kubelet.play(c, ns, 6);
    createTemplateAndPool(c, ns, "burst", "burst-pool", n);
    server = startServer(api, ns);
    awaitPoolReady(c, ns, "burst-pool", n);

    ExecutorService creators = Executors.newFixedThreadPool(8);
    int boundBeforeRestart;
    try {
      List<Future<?>> created = new ArrayList<>();
      for (int i = 0; i < n / 2; i++) created.add(createAsync(creators, c, ns, "b-" + i));
      for (Future<?> f : created) f.get(60, TimeUnit.SECONDS);
      // restart the controller in the middle of the burst: some claims bound, others being bound
      c.resources(SandboxClaim.class)
          .inNamespace(ns)
          .withName("b-0")
          .waitUntilCondition(
              x -> x != null && x.getStatus() != null && x.getStatus().getSandbox() != null,
              60,
              TimeUnit.SECONDS);
      server.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      boundBeforeRestart =
          (int)
              c.resources(SandboxClaim.class).inNamespace(ns).list().getItems().stream()
                  .filter(x -> x.getStatus() != null && x.getStatus().getSandbox() != null)
                  .count();
      created.clear();
      for (int i = n / 2; i < n; i++) created.add(createAsync(creators, c, ns, "b-" + i));
      server = startServer(api, ns);
      for (Future<?> f : created) f.get(60, TimeUnit.SECONDS);
    } finally {
      creators.shutdown();
    }
    System.out.printf(
        "BURST: %d of %d claims were bound when the server stopped%n", boundBeforeRestart, n);
    Map<String, String> sandboxOfClaim = new HashMap<>();
    for (int i = 0; i < n; i++) {
      SandboxClaim b = awaitBound(c, ns, "b-" + i);
      sandboxOfClaim.put(b.getMetadata().getUid(), b.getStatus().getSandbox().getName());
    }
    assertThat(new HashSet<>(sandboxOfClaim.values())).hasSize(n); // no sandbox bound to two claims
    Set<String> claimOwned = new HashSet<>();
    for (Sandbox s : c.resources(Sandbox.class).inNamespace(ns).list().getItems()) {
      long claimOwners =
          s.getMetadata().getOwnerReferences() == null
              ? 0
              : s.getMetadata().getOwnerReferences().stream()
                  .filter(o -> "SandboxClaim".equals(o.getKind()))
                  .count();
      assertThat(claimOwners).as(s.getMetadata().getName()).isLessThanOrEqualTo(1);
      OwnerReference ctl = controllerOf(s);
      if (ctl != null
          && "SandboxClaim".equals(ctl.getKind())
          && sandboxOfClaim.containsKey(ctl.getUid())) {
        assertThat(sandboxOfClaim.get(ctl.getUid())).isEqualTo(s.getMetadata().getName());
        claimOwned.add(s.getMetadata().getName());
      }
    }
    assertThat(claimOwned).hasSize(n);
    System.out.printf(
        "BURST: %d claims bound once each across a restart; writes of the second process: %s%n",
        n, server.kubernetes().apiWrites());
  }

  // ---------------------------------------------------------------- helpers

  private static Future<?> createAsync(
      ExecutorService pool, KubernetesClient c, String ns, String name) {
    return pool.submit(
        () ->
            c.resources(SandboxClaim.class)
                .inNamespace(ns)
                .resource(claim(ns, name, "burst-pool"))
                .create());
  }

  private SchedulerServer startServer(LocalApiServer api, String ns) throws Exception {
    return start(api, tmp, ns);
  }

  /**
   * Writes {@code dir/kubeconfig} for {@code api} and starts a server watching namespace {@code
   * ns}.
   */
  static SchedulerServer start(LocalApiServer api, Path dir, String ns) throws Exception {
    Path kubeconfig = writeKubeconfig(api, dir);
    return start(api, kubeconfig, new KubernetesBackendConfig(kubeconfig, ns));
  }

  static Path writeKubeconfig(LocalApiServer api, Path dir) throws Exception {
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(
        kubeconfig,
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: local
          cluster:
            server: %s
            insecure-skip-tls-verify: true
        users:
        - name: admin
          user:
            token: %s
        contexts:
        - name: local
          context:
            cluster: local
            user: admin
        current-context: local
        """
            .formatted(api.url(), api.token()));
    return kubeconfig;
  }

  static SchedulerServer start(LocalApiServer api, Path kubeconfig, KubernetesBackendConfig kube)
      throws Exception {
    var config =
        Main.parseConfig(
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--backend",
            "kubernetes",
            "--shards",
            "2",
            "--http-instances",
            "1");
    return SchedulerServer.start(
            config, LocalBackendConfig.defaults(), SecurityConfig.DEFAULTS, kube)
        .toCompletionStage()
        .toCompletableFuture()
        .get(120, TimeUnit.SECONDS);
  }

  static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after) {
    Map<String, Long> d = new TreeMap<>();
    after.forEach(
        (k, v) -> {
          long x = v - before.getOrDefault(k, 0L);
          if (x != 0) d.put(k, x);
        });
    return d;
  }

  /** Waits (bounded) until no binding-journal ConfigMap in {@code ns} holds {@code claimId}. */
  private static void awaitJournalRetired(KubernetesClient c, String ns, String claimId)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      boolean held =
          c
              .configMaps()
              .inNamespace(ns)
              .withLabel("agentsandbox.io/binding-journal")
              .list()
              .getItems()
              .stream()
              .anyMatch(m -> m.getData() != null && m.getData().containsKey(claimId));
      if (!held) return;
      TimeUnit.MILLISECONDS.sleep(100); // poll interval of a bounded poll
    }
    throw new AssertionError("journal entry of " + claimId + " not retired within 30 s");
  }

  /**
   * The writes that bind a claim: the journal write and SandboxClaim create (HTTP claims), adoption
   * patch, claim status.
   */
  private static Map<String, Long> claimPath(Map<String, Long> delta) {
    Map<String, Long> d = new TreeMap<>();
    for (String k :
        List.of(
            "POST configmaps",
            "PUT configmaps",
            "PATCH configmaps",
            "POST sandboxclaims",
            "PATCH sandboxes",
            "PATCH sandboxclaims/status",
            "PUT sandboxclaims",
            "PATCH sandboxclaims")) {
      if (delta.containsKey(k)) d.put(k, delta.get(k));
    }
    return d;
  }

  private static long claimPathWrites(Map<String, Long> delta) {
    return claimPath(delta).values().stream().mapToLong(Long::longValue).sum();
  }
}
