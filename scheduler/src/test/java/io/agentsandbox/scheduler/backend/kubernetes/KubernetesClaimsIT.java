package io.agentsandbox.scheduler.backend.kubernetes;

import static io.agentsandbox.k8s.testing.ClusterFixtures.awaitBound;
import static io.agentsandbox.k8s.testing.ClusterFixtures.awaitPoolReady;
import static io.agentsandbox.k8s.testing.ClusterFixtures.claim;
import static io.agentsandbox.k8s.testing.ClusterFixtures.controllerOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.k8s.crd.AgentSandboxAnnotations;
import io.agentsandbox.k8s.crd.ClaimShutdownPolicy;
import io.agentsandbox.k8s.crd.InjectionPolicy;
import io.agentsandbox.k8s.crd.LocalObjectRef;
import io.agentsandbox.k8s.crd.PodMetadata;
import io.agentsandbox.k8s.crd.PodTemplate;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.crd.SandboxClaimSpec;
import io.agentsandbox.k8s.crd.SandboxTemplate;
import io.agentsandbox.k8s.crd.SandboxTemplateSpec;
import io.agentsandbox.k8s.crd.SandboxWarmPool;
import io.agentsandbox.k8s.crd.SandboxWarmPoolSpec;
import io.agentsandbox.k8s.crd.UpdateStrategyType;
import io.agentsandbox.k8s.crd.UpstreamKeys;
import io.agentsandbox.k8s.testing.Kubelet;
import io.agentsandbox.k8s.testing.LocalApiServer;
import io.agentsandbox.k8s.testing.LocalApiServerExtension;
import io.agentsandbox.k8s.testing.LocalApiServerExtension.TestNamespace;
import io.agentsandbox.scheduler.SchedulerServer;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upstream's claim shapes on {@code --backend kubernetes} against a real kube-apiserver (this test
 * plays the kubelet): the cold path (claim {@code env}, {@code on-empty: cold}) with a Sandbox
 * named after the claim; members built from the template's full pod spec with secure defaults;
 * {@code additionalPodMetadata} on the pod; upstream's reasons for bad input; claim {@code
 * lifecycle} under each shutdown policy; template change under {@code Recreate} and {@code
 * OnReplenish}; an HTTP claim by template.
 */
@ExtendWith(LocalApiServerExtension.class)
class KubernetesClaimsIT {

  @TempDir Path tmp;
  private SchedulerServer server;
  private Kubelet.Node kubelet;

  @AfterEach
  void tearDown() throws Exception {
    if (server != null)
      server.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    if (kubelet != null) kubelet.close();
  }

  private void startServer(LocalApiServer api, KubernetesClient c, String ns) throws Exception {
    kubelet = Kubelet.play(c, ns, 4);
    server = KubernetesBackendIT.start(api, tmp, ns);
  }

  @Test
  void shouldServeColdClaimsFullPodSpecsPodMetadataTemplateClaimsAndUpstreamReasons(
      LocalApiServer api, KubernetesClient c, TestNamespace tns) throws Exception {
    String ns = tns.name();
    PodSpec full =
        new PodSpecBuilder()
            .withContainers(
                new ContainerBuilder()
                    .withName("main")
                    .withImage("python:3.12-slim")
                    .withCommand("sleep", "infinity")
                    .withEnv(new EnvVar("MODE", "template", null))
                    .build(),
                new ContainerBuilder()
                    .withName("sidecar")
                    .withImage("busybox:1.36")
                    .withCommand("sleep", "infinity")
                    .build())
            .withVolumes(
                new VolumeBuilder().withName("scratch").withNewEmptyDir().endEmptyDir().build())
            .build();
    template(
        c, ns, "full", full, InjectionPolicy.Overrides, Map.of("sandbox.users.io/tier", "gold"));
    pool(c, ns, "full-pool", "full", 2, null);
    template(c, ns, "strict", simpleSpec("python:3.12-slim"), null, null);
    pool(c, ns, "strict-pool", "strict", 0, null);
    pool(c, ns, "orphan-pool", "ghost", 1, null);
    startServer(api, c, ns);
    awaitPoolReady(c, ns, "full-pool", 2);

    // pool members: the template's full pod spec, secure defaults, the blueprint hash
    List<Sandbox> members = members(c, ns, "full-pool");
    assertThat(members).hasSize(2);
    Sandbox member = members.get(0);
    PodSpec ms = member.getSpec().getPodTemplate().getSpec();
    assertThat(ms.getContainers())
        .extracting(Container::getName)
        .containsExactly("main", "sidecar");
    assertThat(ms.getVolumes()).extracting(v -> v.getName()).containsExactly("scratch");
    assertThat(ms.getAutomountServiceAccountToken()).isFalse();
    assertThat(ms.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(ms.getContainers().get(1).getSecurityContext().getCapabilities().getDrop())
        .containsExactly("ALL");
    assertThat(ms.getContainers().get(0).getSecurityContext().getAllowPrivilegeEscalation())
        .isFalse();
    assertThat(member.getMetadata().getLabels())
        .containsKey(UpstreamKeys.SANDBOX_TEMPLATE_HASH)
        .containsEntry(UpstreamKeys.WARM_POOL_SANDBOX, UpstreamKeys.nameHash("full-pool"));

    // claim env forces upstream's cold path: a Sandbox named after the claim, env injected
    SandboxClaim envClaim = claim(ns, "env-claim", "full-pool");
    SandboxClaimSpec.EnvVar toSidecar = new SandboxClaimSpec.EnvVar("BAR", "baz");
    toSidecar.setContainerName("sidecar");
    envClaim
        .getSpec()
        .setEnv(
            List.of(
                new SandboxClaimSpec.EnvVar("MODE", "claim"),
                new SandboxClaimSpec.EnvVar("FOO", "bar"),
                toSidecar));
    c.resources(SandboxClaim.class).inNamespace(ns).resource(envClaim).create();
    SandboxClaim bound = awaitBound(c, ns, "env-claim");
    assertThat(bound.getStatus().getSandbox().getName()).isEqualTo("env-claim");
    Sandbox cold = c.resources(Sandbox.class).inNamespace(ns).withName("env-claim").get();
    assertThat(controllerOf(cold).getUid()).isEqualTo(bound.getMetadata().getUid());
    assertThat(cold.getMetadata().getLabels())
        .containsEntry(UpstreamKeys.LAUNCH_TYPE, "cold")
        .containsEntry(UpstreamKeys.CLAIM_UID, bound.getMetadata().getUid())
        .doesNotContainKey(UpstreamKeys.WARM_POOL_SANDBOX);
    Pod coldPod = c.pods().inNamespace(ns).withName("env-claim").get();
    assertThat(envOf(coldPod, "main")).containsEntry("MODE", "claim").containsEntry("FOO", "bar");
    assertThat(envOf(coldPod, "sidecar")).containsEntry("BAR", "baz");
    assertThat(members(c, ns, "full-pool")).hasSize(2); // the pool was not touched

    // on-empty: cold with an empty pool (replicas 0): cold Sandbox named after the claim
    SandboxClaim coldEmpty = claim(ns, "cold-empty", "strict-pool");
    coldEmpty.getMetadata().setAnnotations(Map.of(AgentSandboxAnnotations.ON_EMPTY, "cold"));
    c.resources(SandboxClaim.class).inNamespace(ns).resource(coldEmpty).create();
    assertThat(awaitBound(c, ns, "cold-empty").getStatus().getSandbox().getName())
        .isEqualTo("cold-empty");
    // a plain claim (no annotation) on an empty pool: upstream's cold start, at once
    c.resources(SandboxClaim.class)
        .inNamespace(ns)
        .resource(claim(ns, "plain-empty", "strict-pool"))
        .create();
    SandboxClaim plainEmpty = awaitBound(c, ns, "plain-empty");
    assertThat(plainEmpty.getStatus().getSandbox().getName()).isEqualTo("plain-empty");
    assertThat(
            c.resources(Sandbox.class)
                .inNamespace(ns)
                .withName("plain-empty")
                .get()
                .getMetadata()
                .getLabels())
        .containsEntry(UpstreamKeys.LAUNCH_TYPE, "cold");

    // additionalPodMetadata lands on the pod of a warm claim; the pool label leaves it
    SandboxClaim meta = claim(ns, "meta", "full-pool");
    meta.getSpec()
        .setAdditionalPodMetadata(
            new PodMetadata(
                Map.of("sandbox.users.io/team", "a", "sandbox.users.io/tier", "gold"),
                Map.of("example.com/note", "hi")));
    c.resources(SandboxClaim.class).inNamespace(ns).resource(meta).create();
    SandboxClaim metaBound = awaitBound(c, ns, "meta");
    String warmName = metaBound.getStatus().getSandbox().getName();
    assertThat(warmName).startsWith("full-pool-");
    Pod warmPod =
        c.pods()
            .inNamespace(ns)
            .withName(warmName)
            .waitUntilCondition(
                p ->
                    p != null
                        && "a".equals(p.getMetadata().getLabels().get("sandbox.users.io/team"))
                        && !p.getMetadata().getLabels().containsKey(UpstreamKeys.WARM_POOL_SANDBOX),
                60,
                TimeUnit.SECONDS);
    assertThat(warmPod.getMetadata().getLabels())
        .containsEntry(UpstreamKeys.CLAIM_UID, metaBound.getMetadata().getUid());
    assertThat(warmPod.getMetadata().getAnnotations())
        .containsEntry("example.com/note", "hi")
        .doesNotContainKey(UpstreamKeys.SAFE_TO_EVICT);

    // bad input: upstream's reasons
    SandboxClaim strictEnv = claim(ns, "strict-env", "strict-pool");
    strictEnv.getSpec().setEnv(List.of(new SandboxClaimSpec.EnvVar("FOO", "bar")));
    c.resources(SandboxClaim.class).inNamespace(ns).resource(strictEnv).create();
    SandboxClaim badMeta = claim(ns, "bad-meta", "full-pool");
    badMeta.getSpec().setAdditionalPodMetadata(new PodMetadata(Map.of("team", "a"), null));
    c.resources(SandboxClaim.class).inNamespace(ns).resource(badMeta).create();
    SandboxClaim conflictMeta = claim(ns, "conflict-meta", "full-pool");
    conflictMeta
        .getSpec()
        .setAdditionalPodMetadata(new PodMetadata(Map.of("sandbox.users.io/tier", "silver"), null));
    c.resources(SandboxClaim.class).inNamespace(ns).resource(conflictMeta).create();
    c.resources(SandboxClaim.class)
        .inNamespace(ns)
        .resource(claim(ns, "no-template", "orphan-pool"))
        .create();
    // on-empty: wait: the claim waits for a warm member rather than starting cold
    SandboxClaim noPool = claim(ns, "no-pool", "nope");
    noPool.getMetadata().setAnnotations(Map.of(AgentSandboxAnnotations.ON_EMPTY, "wait"));
    c.resources(SandboxClaim.class).inNamespace(ns).resource(noPool).create();
    awaitReason(c, ns, "strict-env", "EnvVarsInjectionRejected");
    awaitReason(c, ns, "bad-meta", "InvalidMetadata");
    awaitReason(c, ns, "conflict-meta", "InvalidMetadata");
    awaitReason(c, ns, "no-template", "TemplateNotFound");
    awaitReason(c, ns, "no-pool", "WarmPoolNotFound");
    for (String n : List.of("strict-env", "bad-meta", "conflict-meta", "no-template", "no-pool")) {
      assertThat(c.resources(Sandbox.class).inNamespace(ns).withName(n).get()).as(n).isNull();
    }

    // a missing pool that appears later: the claim (on-empty: wait) is bound to a warm member
    pool(c, ns, "nope", "strict", 1, null);
    assertThat(awaitBound(c, ns, "no-pool").getStatus().getSandbox().getName()).startsWith("nope-");
    // an HTTP claim naming a template (not a pool) is served by that template's pool
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + "/v1/claims"))
                    .header("content-type", "application/json")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"template\":\"full\",\"namespace\":\""
                                + ns
                                + "\",\"waitMs\":30000}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    assertThat(r.body()).contains("full-pool-");
    HttpResponse<String> none =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + "/v1/claims"))
                    .header("content-type", "application/json")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"template\":\"no-such\",\"namespace\":\"" + ns + "\"}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(none.statusCode()).isEqualTo(404);
    assertThat(none.body()).contains("no warm pool serves template");
  }

  @Test
  void shouldExpireClaimsUnderEachShutdownPolicy(
      LocalApiServer api, KubernetesClient c, TestNamespace tns) throws Exception {
    String ns = tns.name();
    template(c, ns, "life", simpleSpec("python:3.12-slim"), null, null);
    pool(c, ns, "life-pool", "life", 4, null);
    startServer(api, c, ns);
    awaitPoolReady(c, ns, "life-pool", 4);

    String soon = Instant.now().plusSeconds(15).truncatedTo(ChronoUnit.SECONDS).toString();
    for (ClaimShutdownPolicy p : ClaimShutdownPolicy.values()) {
      c.resources(SandboxClaim.class)
          .inNamespace(ns)
          .resource(
              withLifecycle(claim(ns, "exp-" + p.name().toLowerCase(), "life-pool"), soon, null, p))
          .create();
    }
    c.resources(SandboxClaim.class)
        .inNamespace(ns)
        .resource(
            withLifecycle(
                claim(ns, "exp-past", "life-pool"),
                Instant.now().minusSeconds(60).truncatedTo(ChronoUnit.SECONDS).toString(),
                null,
                null))
        .create();
    c.resources(SandboxClaim.class)
        .inNamespace(ns)
        .resource(withLifecycle(claim(ns, "exp-ttl", "life-pool"), null, 0, null))
        .create();

    String retained = awaitBound(c, ns, "exp-retain").getStatus().getSandbox().getName();
    String deleted = awaitBound(c, ns, "exp-delete").getStatus().getSandbox().getName();
    String deletedFg = awaitBound(c, ns, "exp-deleteforeground").getStatus().getSandbox().getName();
    String ttlSandbox = awaitBound(c, ns, "exp-ttl").getStatus().getSandbox().getName();

    // Retain: the Sandbox is deleted, the claim stays with Ready=False/ClaimExpired
    awaitReason(c, ns, "exp-retain", "ClaimExpired");
    c.resources(Sandbox.class)
        .inNamespace(ns)
        .withName(retained)
        .waitUntilCondition(
            s -> s == null || s.getMetadata().getDeletionTimestamp() != null, 60, TimeUnit.SECONDS);
    // Delete and DeleteForeground: the claim goes (GC takes its Sandbox)
    c.resources(SandboxClaim.class)
        .inNamespace(ns)
        .withName("exp-delete")
        .waitUntilCondition(x -> x == null, 60, TimeUnit.SECONDS);
    c.resources(SandboxClaim.class)
        .inNamespace(ns)
        .withName("exp-deleteforeground")
        .waitUntilCondition(x -> x == null, 60, TimeUnit.SECONDS);
    // deletion cascades (kube-controller-manager's garbage collector): claim -> Sandbox -> Pod
    for (String sb : List.of(deleted, deletedFg)) {
      c.resources(Sandbox.class)
          .inNamespace(ns)
          .withName(sb)
          .waitUntilCondition(x -> x == null, 60, TimeUnit.SECONDS);
      c.pods()
          .inNamespace(ns)
          .withName(sb)
          .waitUntilCondition(x -> x == null, 60, TimeUnit.SECONDS);
    }
    // already expired when created: never bound
    SandboxClaim past = awaitReason(c, ns, "exp-past", "ClaimExpired");
    assertThat(past.getStatus().getSandbox()).isNull();
    // ttlSecondsAfterFinished: the pod finishes, Finished is mirrored, the claim expires
    Kubelet.markTerminal(c, ns, ttlSandbox, "Succeeded");
    awaitReason(c, ns, "exp-ttl", "ClaimExpired");
    assertThat(c.resources(SandboxClaim.class).inNamespace(ns).withName("exp-retain").get())
        .isNotNull();

    // the pool follows /scale (HPA/KEDA's way): more members, then fewer
    c.resources(SandboxWarmPool.class).inNamespace(ns).withName("life-pool").scale(6);
    awaitPoolReady(c, ns, "life-pool", 6);
    c.resources(SandboxWarmPool.class).inNamespace(ns).withName("life-pool").scale(2);
    awaitMembers(c, ns, "life-pool", l -> l.size() == 2);
  }

  @Test
  void shouldRollPoolsOnTemplateChangeUnderRecreateAndOnReplenish(
      LocalApiServer api, KubernetesClient c, TestNamespace tns) throws Exception {
    String ns = tns.name();
    template(c, ns, "rc", simpleSpec("img:v1"), null, null);
    pool(c, ns, "rc-pool", "rc", 2, UpdateStrategyType.Recreate);
    template(c, ns, "or", simpleSpec("img:v1"), null, null);
    pool(c, ns, "or-pool", "or", 2, UpdateStrategyType.OnReplenish);
    startServer(api, c, ns);
    awaitPoolReady(c, ns, "rc-pool", 2);
    awaitPoolReady(c, ns, "or-pool", 2);
    c.resources(SandboxClaim.class)
        .inNamespace(ns)
        .resource(claim(ns, "rc-claimed", "rc-pool"))
        .create();
    String claimedRc = awaitBound(c, ns, "rc-claimed").getStatus().getSandbox().getName();
    awaitMembers(
        c,
        ns,
        "rc-pool",
        l -> l.size() == 2 && l.stream().allMatch(s -> image(s).equals("img:v1")));
    List<String> orBefore =
        members(c, ns, "or-pool").stream().map(s -> s.getMetadata().getName()).sorted().toList();

    for (String t : List.of("rc", "or")) {
      SandboxTemplate tpl = c.resources(SandboxTemplate.class).inNamespace(ns).withName(t).get();
      tpl.getSpec().getPodTemplate().getSpec().getContainers().get(0).setImage("img:v2");
      c.resources(SandboxTemplate.class).inNamespace(ns).resource(tpl).update();
    }
    // Recreate: stale unclaimed members are replaced by members of the new template; the claimed
    // one is untouched
    awaitMembers(
        c,
        ns,
        "rc-pool",
        l -> l.size() == 2 && l.stream().allMatch(s -> image(s).equals("img:v2")));
    awaitPoolReady(c, ns, "rc-pool", 2);
    Sandbox stillClaimed = c.resources(Sandbox.class).inNamespace(ns).withName(claimedRc).get();
    assertThat(stillClaimed.getMetadata().getDeletionTimestamp()).isNull();
    assertThat(image(stillClaimed)).isEqualTo("img:v1");
    // OnReplenish: stale members stay until claimed; the replacement is built from the new template
    List<Sandbox> orNow = members(c, ns, "or-pool");
    assertThat(orNow.stream().map(s -> s.getMetadata().getName()).sorted().toList())
        .isEqualTo(orBefore);
    assertThat(orNow).allMatch(s -> image(s).equals("img:v1"));
    c.resources(SandboxClaim.class)
        .inNamespace(ns)
        .resource(claim(ns, "or-claimed", "or-pool"))
        .create();
    String claimedOr = awaitBound(c, ns, "or-claimed").getStatus().getSandbox().getName();
    assertThat(orBefore).contains(claimedOr);
    awaitMembers(
        c,
        ns,
        "or-pool",
        l -> l.size() == 2 && l.stream().filter(s -> image(s).equals("img:v2")).count() == 1);
  }

  // ---------------------------------------------------------------- helpers

  private static String image(Sandbox s) {
    return s.getSpec().getPodTemplate().getSpec().getContainers().get(0).getImage();
  }

  private static Map<String, String> envOf(Pod pod, String container) {
    return pod.getSpec().getContainers().stream()
        .filter(x -> x.getName().equals(container))
        .findFirst()
        .orElseThrow()
        .getEnv()
        .stream()
        .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
  }

  private static PodSpec simpleSpec(String image) {
    return new PodSpecBuilder()
        .withContainers(
            new ContainerBuilder()
                .withName("sandbox")
                .withImage(image)
                .withCommand("sleep", "infinity")
                .build())
        .build();
  }

  private static void template(
      KubernetesClient c,
      String ns,
      String name,
      PodSpec spec,
      InjectionPolicy env,
      Map<String, String> podLabels) {
    SandboxTemplateSpec ts = new SandboxTemplateSpec();
    ts.setPodTemplate(
        new PodTemplate(podLabels == null ? null : new PodMetadata(podLabels, null), spec));
    if (env != null) ts.setEnvVarsInjectionPolicy(env);
    SandboxTemplate t = new SandboxTemplate();
    t.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
    t.setSpec(ts);
    c.resources(SandboxTemplate.class).inNamespace(ns).resource(t).create();
  }

  private static void pool(
      KubernetesClient c,
      String ns,
      String name,
      String template,
      int replicas,
      UpdateStrategyType strategy) {
    SandboxWarmPoolSpec ps = new SandboxWarmPoolSpec();
    ps.setReplicas(replicas);
    ps.setSandboxTemplateRef(new LocalObjectRef(template));
    if (strategy != null) ps.setUpdateStrategy(new SandboxWarmPoolSpec.UpdateStrategy(strategy));
    SandboxWarmPool p = new SandboxWarmPool();
    p.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
    p.setSpec(ps);
    c.resources(SandboxWarmPool.class).inNamespace(ns).resource(p).create();
  }

  private static SandboxClaim withLifecycle(
      SandboxClaim cl, String shutdownTime, Integer ttlAfterFinished, ClaimShutdownPolicy p) {
    SandboxClaimSpec.Lifecycle l = new SandboxClaimSpec.Lifecycle();
    l.setShutdownTime(shutdownTime);
    l.setTtlSecondsAfterFinished(ttlAfterFinished);
    l.setShutdownPolicy(p);
    cl.getSpec().setLifecycle(l);
    return cl;
  }

  /** Unclaimed, non-terminating members of a pool (controller: the SandboxWarmPool). */
  private static List<Sandbox> members(KubernetesClient c, String ns, String pool) {
    return c.resources(Sandbox.class).inNamespace(ns).list().getItems().stream()
        .filter(s -> s.getMetadata().getDeletionTimestamp() == null)
        .filter(
            s -> {
              OwnerReference o = controllerOf(s);
              return o != null && "SandboxWarmPool".equals(o.getKind()) && pool.equals(o.getName());
            })
        .toList();
  }

  private static void awaitMembers(
      KubernetesClient c, String ns, String pool, Predicate<List<Sandbox>> p) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    List<Sandbox> last = List.of();
    while (System.nanoTime() < deadline) {
      last = members(c, ns, pool);
      if (p.test(last)) return;
      try {
        TimeUnit.MILLISECONDS.sleep(250); // poll interval of a bounded poll
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
    throw new AssertionError(
        "pool "
            + pool
            + " members never matched; last: "
            + last.stream().map(s -> s.getMetadata().getName() + "=" + image(s)).toList());
  }

  static SandboxClaim awaitReason(KubernetesClient c, String ns, String name, String reason) {
    return c.resources(SandboxClaim.class)
        .inNamespace(ns)
        .withName(name)
        .waitUntilCondition(
            x ->
                x != null
                    && x.getStatus() != null
                    && x.getStatus().getConditions() != null
                    && x.getStatus().getConditions().stream()
                        .anyMatch((Condition k) -> reason.equals(k.getReason())),
            60,
            TimeUnit.SECONDS);
  }
}
