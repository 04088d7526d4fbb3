package io.agentsandbox.k8s.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.UpstreamKeys;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;

class SandboxResourcesTest {

  static Sandbox sandbox(String yaml) {
    Sandbox s = Serialization.unmarshal(yaml, Sandbox.class);
    s.getMetadata().setNamespace("ns");
    s.getMetadata().setUid("uid-1");
    return s;
  }

  private static final String FULL =
      """
      apiVersion: agents.x-k8s.io/v1beta1
      kind: Sandbox
      metadata:
        name: sb
        labels: {agents.x-k8s.io/warm-pool-sandbox: abcd1234, unrelated: x}
      spec:
        service: true
        podTemplate:
          metadata:
            labels: {app: a, agents.x-k8s.io/claim-uid: spoof}
            annotations: {note: n}
          spec:
            automountServiceAccountToken: true
            containers:
            - name: main
              image: img
              ports: [{containerPort: 80}, {containerPort: 80}, {containerPort: 53, protocol: UDP, name: dns}]
            initContainers:
            - {name: sidecar, image: s, restartPolicy: Always, ports: [{containerPort: 9000}]}
            - {name: init, image: i, ports: [{containerPort: 7000}]}
            volumes: [{name: data, emptyDir: {}}, {name: other, emptyDir: {}}]
        volumeClaimTemplates:
        - metadata: {name: data, labels: {tier: fast}}
          spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
      """;

  @Test
  void shouldBuildThePodWithSecureDefaultsVolumesAndLabels() {
    Sandbox sb = sandbox(FULL.replace("automountServiceAccountToken: true", "hostname: h"));
    Pod pod = SandboxResources.pod(sb);
    assertThat(pod.getMetadata().getName()).isEqualTo("sb");
    assertThat(pod.getMetadata().getNamespace()).isEqualTo("ns");
    assertThat(pod.getSpec().getAutomountServiceAccountToken()).isFalse();
    assertThat(pod.getMetadata().getLabels())
        .containsEntry("app", "a")
        .containsEntry(UpstreamKeys.SANDBOX_NAME_HASH, UpstreamKeys.nameHash("sb"))
        .containsEntry(UpstreamKeys.WARM_POOL_SANDBOX, "abcd1234")
        .doesNotContainKeys("unrelated", UpstreamKeys.CLAIM_UID);
    assertThat(pod.getMetadata().getAnnotations())
        .containsEntry("note", "n")
        .containsEntry(UpstreamKeys.PROPAGATED_LABELS, "app")
        .containsEntry(UpstreamKeys.PROPAGATED_ANNOTATIONS, "note");
    assertThat(pod.getSpec().getVolumes()).hasSize(2);
    assertThat(pod.getSpec().getVolumes().get(0).getName()).isEqualTo("other");
    assertThat(pod.getSpec().getVolumes().get(1).getPersistentVolumeClaim().getClaimName())
        .isEqualTo("data-sb");
    assertThat(pod.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getUid()).isEqualTo("uid-1");
              assertThat(r.getKind()).isEqualTo("Sandbox");
              assertThat(r.getApiVersion()).isEqualTo("agents.x-k8s.io/v1beta1");
              assertThat(r.getController()).isTrue();
            });
    // the input (maybe an informer-cache object) is untouched
    assertThat(sb.getSpec().getPodTemplate().getSpec().getAutomountServiceAccountToken()).isNull();
    assertThat(sb.getSpec().getPodTemplate().getSpec().getVolumes().get(0).getEmptyDir())
        .isNotNull();
  }

  @Test
  void shouldKeepAnExplicitAutomountSetting() {
    assertThat(SandboxResources.pod(sandbox(FULL)).getSpec().getAutomountServiceAccountToken())
        .isTrue();
  }

  @Test
  void shouldBuildAHeadlessServiceWithDeduplicatedPorts() {
    Service svc = SandboxResources.service(sandbox(FULL));
    assertThat(svc.getSpec().getClusterIP()).isEqualTo("None");
    assertThat(svc.getSpec().getSelector())
        .containsExactly(
            java.util.Map.entry(UpstreamKeys.SANDBOX_NAME_HASH, UpstreamKeys.nameHash("sb")));
    assertThat(svc.getSpec().getPorts())
        .extracting(p -> p.getName() + ":" + p.getPort() + "/" + p.getProtocol())
        .containsExactly("p-80-tcp:80/TCP", "dns:53/UDP", "p-9000-tcp:9000/TCP");
  }

  @Test
  void shouldNamePvcsAfterTemplateAndSandbox() {
    assertThat(SandboxResources.pvcs(sandbox(FULL)))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getMetadata().getName()).isEqualTo("data-sb");
              assertThat(p.getMetadata().getLabels())
                  .containsEntry("tier", "fast")
                  .containsEntry(UpstreamKeys.SANDBOX_NAME_HASH, UpstreamKeys.nameHash("sb"));
              assertThat(p.getSpec().getResources().getRequests().get("storage"))
                  .hasToString("1Gi");
            });
  }
}
