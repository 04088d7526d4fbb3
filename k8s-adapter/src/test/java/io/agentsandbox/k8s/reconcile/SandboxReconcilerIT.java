package io.agentsandbox.k8s.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.k8s.crd.OperatingMode;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxConditions;
import io.agentsandbox.k8s.crd.UpstreamKeys;
import io.agentsandbox.k8s.testing.Kubelet;
import io.agentsandbox.k8s.testing.LocalApiServerExtension;
import io.agentsandbox.k8s.testing.LocalApiServerExtension.TestNamespace;
import io.agentsandbox.k8s.testing.SeedExamples;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Sandbox reconciler against the real API server; the test plays the kubelet by writing pod
 * status. Garbage collection comes from kube-controller-manager.
 */
@ExtendWith(LocalApiServerExtension.class)
class SandboxReconcilerIT {

  private static final long WAIT_S = 30;
  private static SandboxReconciler reconciler;

  @BeforeAll
  static void startReconciler(KubernetesClient c, TestNamespace ns) throws Exception {
    for (String rc : new String[] {"gvisor", "kata-qemu-nvidia-gpu"}) {
      try {
        c.resource(
                new RuntimeClassBuilder()
                    .withNewMetadata()
                    .withName(rc)
                    .endMetadata()
                    .withHandler(rc.startsWith("kata") ? "kata-qemu" : "runsc")
                    .build())
            .create();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) throw e;
      }
    }
    reconciler =
        new SandboxReconciler(c, SandboxReconciler.Options.defaults().inNamespace(ns.name()));
    reconciler.start().get(WAIT_S, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stopReconciler() {
    if (reconciler != null) reconciler.close();
  }

  private static Resource<Sandbox> sandbox(KubernetesClient c, TestNamespace ns, String name) {
    return c.resources(Sandbox.class).inNamespace(ns.name()).withName(name);
  }

  private static Condition condition(Sandbox s, String type) {
    if (s == null || s.getStatus() == null || s.getStatus().getConditions() == null) return null;
    return s.getStatus().getConditions().stream()
        .filter(k -> type.equals(k.getType()))
        .findFirst()
        .orElse(null);
  }

  private static Predicate<Sandbox> hasCondition(String type, String status, String reason) {
    return s -> {
      Condition k = condition(s, type);
      return k != null && status.equals(k.getStatus()) && reason.equals(k.getReason());
    };
  }

  private static Sandbox await(
      KubernetesClient c, TestNamespace ns, String name, Predicate<Sandbox> p) {
    return sandbox(c, ns, name)
        .waitUntilCondition(s -> s != null && p.test(s), WAIT_S, TimeUnit.SECONDS);
  }

  private static <T extends HasMetadata> T awaitExists(Resource<T> r) {
    return r.waitUntilCondition(o -> o != null, WAIT_S, TimeUnit.SECONDS);
  }

  private static void create(KubernetesClient c, TestNamespace ns, String yaml) {
    for (HasMetadata o :
        c.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items()) {
      c.resource(o).inNamespace(ns.name()).create();
    }
  }

  @Test
  void shouldBuildPodServiceAndPvcAndBecomeReadyWhenThePodRuns(
      KubernetesClient c, TestNamespace ns) {
    create(
        c,
        ns,
        """
        apiVersion: agents.x-k8s.io/v1beta1
        kind: Sandbox
        metadata: {name: full}
        spec:
          service: true
          podTemplate:
            metadata:
              labels: {app: agent, agents.x-k8s.io/sandbox-name-hash: spoofed}
            spec:
              runtimeClassName: gvisor
              containers:
              - name: agent
                image: python:3.12-slim
                ports: [{containerPort: 8888}]
              volumes: [{name: workspace, emptyDir: {}}]
          volumeClaimTemplates:
          - metadata: {name: workspace}
            spec:
              accessModes: [ReadWriteOnce]
              resources: {requests: {storage: 1Gi}}
        """);
    Sandbox sb = sandbox(c, ns, "full").get();
    String hash = UpstreamKeys.nameHash("full");

    Pod pod = awaitExists(c.pods().inNamespace(ns.name()).withName("full"));
    assertThat(pod.getSpec().getRuntimeClassName()).isEqualTo("gvisor");
    assertThat(pod.getSpec().getAutomountServiceAccountToken()).isFalse();
    assertThat(pod.getMetadata().getLabels())
        .containsEntry(UpstreamKeys.SANDBOX_NAME_HASH, hash)
        .containsEntry("app", "agent");
    assertThat(pod.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getUid()).isEqualTo(sb.getMetadata().getUid());
              assertThat(r.getController()).isTrue();
            });
    assertThat(pod.getSpec().getVolumes())
        .singleElement()
        .satisfies(
            v ->
                assertThat(v.getPersistentVolumeClaim().getClaimName())
                    .isEqualTo("workspace-full"));

    PersistentVolumeClaim pvc =
        awaitExists(c.persistentVolumeClaims().inNamespace(ns.name()).withName("workspace-full"));
    assertThat(pvc.getMetadata().getLabels()).containsEntry(UpstreamKeys.SANDBOX_NAME_HASH, hash);
    assertThat(pvc.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(r -> assertThat(r.getUid()).isEqualTo(sb.getMetadata().getUid()));

    Service svc = awaitExists(c.services().inNamespace(ns.name()).withName("full"));
    assertThat(svc.getSpec().getClusterIP()).isEqualTo("None");
    assertThat(svc.getSpec().getSelector()).containsEntry(UpstreamKeys.SANDBOX_NAME_HASH, hash);
    assertThat(svc.getSpec().getPorts())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getPort()).isEqualTo(8888);
              assertThat(p.getName()).isEqualTo("p-8888-tcp");
            });

    Sandbox pending =
        await(
            c,
            ns,
            "full",
            hasCondition(
                    SandboxConditions.READY,
                    "False",
                    SandboxConditions.REASON_DEPENDENCIES_NOT_READY)
                .and(
                    hasCondition(
                        SandboxConditions.POD_SCHEDULED,
                        "Unknown",
                        SandboxConditions.REASON_POD_SCHEDULING_UNKNOWN)));
    assertThat(condition(pending, SandboxConditions.SUSPENDED).getReason())
        .isEqualTo(SandboxConditions.REASON_NOT_SUSPENDED);
    assertThat(pending.getStatus().getSelector())
        .isEqualTo(UpstreamKeys.SANDBOX_NAME_HASH + "=" + hash);

    Kubelet.markRunning(c, ns.name(), "full", "10.244.0.7");
    Sandbox ready =
        await(
            c,
            ns,
            "full",
            hasCondition(
                SandboxConditions.READY, "True", SandboxConditions.REASON_DEPENDENCIES_READY));
    assertThat(ready.getStatus().getPodIPs()).containsExactly("10.244.0.7");
    assertThat(ready.getStatus().getService()).isEqualTo("full");
    assertThat(ready.getStatus().getServiceFQDN())
        .isEqualTo("full." + ns.name() + ".svc.cluster.local");
    assertThat(condition(ready, SandboxConditions.POD_SCHEDULED).getStatus()).isEqualTo("True");
    assertThat(condition(ready, SandboxConditions.READY).getObservedGeneration()).isEqualTo(1L);
  }

  @Test
  void shouldDeleteThePodWhenSuspendedAndRecreateItWhenResumed(
      KubernetesClient c, TestNamespace ns) {
    create(
        c,
        ns,
        """
        apiVersion: agents.x-k8s.io/v1beta1
        kind: Sandbox
        metadata: {name: sleepy}
        spec:
          podTemplate: {spec: {containers: [{name: c, image: busybox}]}}
          volumeClaimTemplates:
          - metadata: {name: data}
            spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
        """);
    Pod first = awaitExists(c.pods().inNamespace(ns.name()).withName("sleepy"));
    Kubelet.markRunning(c, ns.name(), "sleepy", "10.244.0.8");
    await(
        c,
        ns,
        "sleepy",
        hasCondition(SandboxConditions.READY, "True", SandboxConditions.REASON_DEPENDENCIES_READY));

    sandbox(c, ns, "sleepy")
        .edit(
            s -> {
              s.getSpec().setOperatingMode(OperatingMode.Suspended);
              return s;
            });
    Sandbox suspended =
        await(
            c,
            ns,
            "sleepy",
            hasCondition(
                    SandboxConditions.SUSPENDED, "True", SandboxConditions.REASON_POD_TERMINATED)
                .and(
                    hasCondition(
                        SandboxConditions.READY,
                        "False",
                        SandboxConditions.REASON_SANDBOX_SUSPENDED)));
    assertThat(suspended.getStatus().getPodIPs()).isEmpty();
    assertThat(condition(suspended, SandboxConditions.POD_SCHEDULED)).isNull();
    assertThat(c.persistentVolumeClaims().inNamespace(ns.name()).withName("data-sleepy").get())
        .isNotNull();

    sandbox(c, ns, "sleepy")
        .edit(
            s -> {
              s.getSpec().setOperatingMode(OperatingMode.Running);
              return s;
            });
    Pod second =
        c.pods()
            .inNamespace(ns.name())
            .withName("sleepy")
            .waitUntilCondition(
                p -> p != null && !p.getMetadata().getUid().equals(first.getMetadata().getUid()),
                WAIT_S,
                TimeUnit.SECONDS);
    assertThat(second.getSpec().getVolumes())
        .anySatisfy(
            v -> assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo("data-sleepy"));
    await(
        c,
        ns,
        "sleepy",
        hasCondition(SandboxConditions.SUSPENDED, "False", SandboxConditions.REASON_NOT_SUSPENDED));
  }

  @Test
  void shouldMarkFinishedAndNotRecreateAFailedPod(KubernetesClient c, TestNamespace ns) {
    create(
        c,
        ns,
        """
        apiVersion: agents.x-k8s.io/v1beta1
        kind: Sandbox
        metadata: {name: crashes}
        spec:
          podTemplate: {spec: {containers: [{name: c, image: busybox}]}}
        """);
    Pod pod = awaitExists(c.pods().inNamespace(ns.name()).withName("crashes"));
    Kubelet.markTerminal(c, ns.name(), "crashes", "Failed");
    await(
        c,
        ns,
        "crashes",
        hasCondition(SandboxConditions.FINISHED, "True", SandboxConditions.REASON_POD_FAILED)
            .and(
                hasCondition(
                    SandboxConditions.READY, "False", SandboxConditions.REASON_POD_FAILED)));
    assertThat(c.pods().inNamespace(ns.name()).withName("crashes").get().getMetadata().getUid())
        .isEqualTo(pod.getMetadata().getUid());
  }

  @Test
  void shouldExpireUnderRetainAndDeleteUnderDelete(KubernetesClient c, TestNamespace ns) {
    // NOTE: far enough ahead that the pod is created (and marked running) before expiry, even on a
    // loaded machine
    String soon = Instant.now().plusSeconds(5).truncatedTo(ChronoUnit.SECONDS).toString();
    create(
        c,
        ns,
        """
        apiVersion: agents.x-k8s.io/v1beta1
        kind: Sandbox
        metadata: {name: retained}
        spec:
          shutdownTime: "%s"
          service: true
          podTemplate: {spec: {containers: [{name: c, image: busybox}]}}
        ---
        apiVersion: agents.x-k8s.io/v1beta1
        kind: Sandbox
        metadata: {name: deleted}
        spec:
          shutdownTime: "%s"
          shutdownPolicy: Delete
          podTemplate: {spec: {containers: [{name: c, image: busybox}]}}
        """
            .formatted(soon, soon));
    awaitExists(c.pods().inNamespace(ns.name()).withName("retained"));
    Kubelet.markRunning(c, ns.name(), "retained", "10.244.0.9");

    Sandbox expired =
        await(
            c,
            ns,
            "retained",
            hasCondition(
                SandboxConditions.READY, "False", SandboxConditions.REASON_SANDBOX_EXPIRED));
    assertThat(expired.getStatus().getPodIPs()).isEmpty();
    assertThat(expired.getStatus().getServiceFQDN()).isNull();
    c.pods()
        .inNamespace(ns.name())
        .withName("retained")
        .waitUntilCondition(p -> p == null, WAIT_S, TimeUnit.SECONDS);
    c.services()
        .inNamespace(ns.name())
        .withName("retained")
        .waitUntilCondition(s -> s == null, WAIT_S, TimeUnit.SECONDS);

    sandbox(c, ns, "deleted").waitUntilCondition(s -> s == null, WAIT_S, TimeUnit.SECONDS);
  }

  @Test
  void shouldRunTheSeedV1alpha1SandboxesWithTheirRuntimeClass(
      KubernetesClient c, TestNamespace ns) {
    create(c, ns, SeedExamples.V1ALPHA1_SANDBOXES);
    assertThat(
            awaitExists(c.pods().inNamespace(ns.name()).withName("ai-agent-sandbox"))
                .getSpec()
                .getRuntimeClassName())
        .isEqualTo("gvisor");
    assertThat(
            awaitExists(c.pods().inNamespace(ns.name()).withName("kata-ai-sandbox"))
                .getSpec()
                .getRuntimeClassName())
        .isEqualTo("kata-qemu-nvidia-gpu");
    assertThat(
            awaitExists(c.pods().inNamespace(ns.name()).withName("my-sandbox"))
                .getSpec()
                .getRuntimeClassName())
        .isNull();
    Kubelet.markRunning(c, ns.name(), "ai-agent-sandbox", "10.244.1.1");
    io.agentsandbox.k8s.crd.v1alpha1.Sandbox alpha =
        c.resources(io.agentsandbox.k8s.crd.v1alpha1.Sandbox.class)
            .inNamespace(ns.name())
            .withName("ai-agent-sandbox")
            .waitUntilCondition(
                s ->
                    s != null
                        && s.getStatus() != null
                        && s.getStatus().getPodIPs() != null
                        && s.getStatus().getPodIPs().contains("10.244.1.1"),
                WAIT_S,
                TimeUnit.SECONDS);
    assertThat(alpha.getApiVersion()).isEqualTo("agents.x-k8s.io/v1alpha1");
  }

  @Test
  void shouldGarbageCollectChildrenWhenTheSandboxIsDeleted(KubernetesClient c, TestNamespace ns) {
    create(
        c,
        ns,
        """
        apiVersion: agents.x-k8s.io/v1beta1
        kind: Sandbox
        metadata: {name: doomed}
        spec:
          service: true
          podTemplate: {spec: {containers: [{name: c, image: busybox}]}}
          volumeClaimTemplates:
          - metadata: {name: data}
            spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
        """);
    awaitExists(c.pods().inNamespace(ns.name()).withName("doomed"));
    awaitExists(c.services().inNamespace(ns.name()).withName("doomed"));
    awaitExists(c.persistentVolumeClaims().inNamespace(ns.name()).withName("data-doomed"));
    sandbox(c, ns, "doomed").delete();
    c.pods()
        .inNamespace(ns.name())
        .withName("doomed")
        .waitUntilCondition(p -> p == null, WAIT_S, TimeUnit.SECONDS);
    c.services()
        .inNamespace(ns.name())
        .withName("doomed")
        .waitUntilCondition(s -> s == null, WAIT_S, TimeUnit.SECONDS);
    c.persistentVolumeClaims()
        .inNamespace(ns.name())
        .withName("data-doomed")
        .waitUntilCondition(p -> p == null, WAIT_S, TimeUnit.SECONDS);
  }
}
