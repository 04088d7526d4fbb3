package io.agentsandbox.k8s.crd;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.k8s.testing.LocalApiServerExtension;
import io.agentsandbox.k8s.testing.LocalApiServerExtension.TestNamespace;
import io.agentsandbox.k8s.testing.SeedExamples;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every example shape applies to the real API server and reads back through the typed model. */
@ExtendWith(LocalApiServerExtension.class)
class ExamplesIT {

  @Test
  void shouldApplyTheRepositoryExamplePools(KubernetesClient c, TestNamespace ns)
      throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(LocalApiServerExtension.crdsDir().resolve("examples"))) {
      files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertThat(files).hasSizeGreaterThanOrEqualTo(2);
    List<String> created = new ArrayList<>();
    for (Path f : files) {
      try (InputStream in = Files.newInputStream(f)) {
        for (HasMetadata item : c.load(in).items()) {
          item.getMetadata().setNamespace(ns.name());
          c.resource(item).inNamespace(ns.name()).create();
          created.add(item.getKind() + "/" + item.getMetadata().getName());
        }
      }
    }
    assertThat(created)
        .contains(
            "SandboxTemplate/python-gvisor",
            "SandboxWarmPool/python-gvisor",
            "SandboxTemplate/shell-runc",
            "SandboxWarmPool/shell-runc");

    SandboxTemplate gvisor =
        c.resources(SandboxTemplate.class).inNamespace(ns.name()).withName("python-gvisor").get();
    assertThat(gvisor.getSpec().getPodTemplate().getSpec().getRuntimeClassName())
        .isEqualTo("gvisor");
    // API-server defaults from the schema
    assertThat(gvisor.getSpec().getNetworkPolicyManagement())
        .isEqualTo(NetworkPolicyManagement.Managed);
    assertThat(gvisor.getSpec().getEnvVarsInjectionPolicy()).isEqualTo(InjectionPolicy.Disallowed);
    assertThat(gvisor.getSpec().getVolumeClaimTemplatesPolicy())
        .isEqualTo(InjectionPolicy.Disallowed);
    SandboxWarmPool runc =
        c.resources(SandboxWarmPool.class).inNamespace(ns.name()).withName("shell-runc").get();
    assertThat(runc.getSpec().getReplicas()).isEqualTo(5);
    assertThat(runc.getMetadata().getAnnotations())
        .containsEntry(AgentSandboxAnnotations.MAX_CLAIMS_PER_TENANT, "50");
  }

  @Test
  void shouldApplySandboxWithServiceAndVolumeClaimTemplate(KubernetesClient c, TestNamespace ns) {
    c.resource(
            """
        apiVersion: agents.x-k8s.io/v1beta1
        kind: Sandbox
        metadata:
          name: stateful
        spec:
          service: true
          shutdownTime: "2030-01-01T00:00:00Z"
          podTemplate:
            metadata:
              labels: {app: agent}
            spec:
              runtimeClassName: gvisor
              containers:
              - name: agent
                image: python:3.12-slim
                ports: [{containerPort: 8888}]
                volumeMounts: [{name: workspace, mountPath: /workspace}]
          volumeClaimTemplates:
          - metadata: {name: workspace}
            spec:
              accessModes: [ReadWriteOnce]
              resources: {requests: {storage: 1Gi}}
        """)
        .inNamespace(ns.name())
        .create();
    Sandbox s = c.resources(Sandbox.class).inNamespace(ns.name()).withName("stateful").get();
    assertThat(s.getSpec().getService()).isTrue();
    assertThat(s.getSpec().getShutdownPolicy()).isEqualTo(ShutdownPolicy.Retain);
    assertThat(s.getSpec().getOperatingMode()).isEqualTo(OperatingMode.Running);
    assertThat(s.getSpec().getVolumeClaimTemplates())
        .singleElement()
        .satisfies(v -> assertThat(v.getMetadata().getName()).isEqualTo("workspace"));
    assertThat(
            s.getSpec()
                .getVolumeClaimTemplates()
                .get(0)
                .getSpec()
                .getResources()
                .getRequests()
                .get("storage"))
        .hasToString("1Gi");
    assertThat(s.getSpec().getPodTemplate().getMetadata().getLabels())
        .containsEntry("app", "agent");
    assertThat(s.getMetadata().getGeneration()).isEqualTo(1L);
  }

  @Test
  void shouldApplyTemplatePoolAndClaimAndWriteStatusThroughTheSubresource(
      KubernetesClient c, TestNamespace ns) {
    c.resource(
            """
        apiVersion: extensions.agents.x-k8s.io/v1beta1
        kind: SandboxTemplate
        metadata: {name: python}
        spec:
          podTemplate:
            spec:
              containers: [{name: python, image: python:3.12-slim}]
          networkPolicy:
            egress:
            - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]
          envVarsInjectionPolicy: Allowed
        """)
        .inNamespace(ns.name())
        .create();
    c.resource(
            """
        apiVersion: extensions.agents.x-k8s.io/v1beta1
        kind: SandboxWarmPool
        metadata: {name: python-pool}
        spec:
          sandboxTemplateRef: {name: python}
          updateStrategy: {type: Recreate}
        """)
        .inNamespace(ns.name())
        .create();
    c.resource(
            """
        apiVersion: extensions.agents.x-k8s.io/v1beta1
        kind: SandboxClaim
        metadata:
          name: my-claim
          annotations:
            agentsandbox.io/wait-ms: "2000"
            agentsandbox.io/on-empty: cold
        spec:
          warmPoolRef: {name: python-pool}
          lifecycle: {ttlSecondsAfterFinished: 60}
          env: [{name: TASK, value: "42"}]
        """)
        .inNamespace(ns.name())
        .create();

    SandboxWarmPool pool =
        c.resources(SandboxWarmPool.class).inNamespace(ns.name()).withName("python-pool").get();
    assertThat(pool.getSpec().getReplicas()).as("schema default").isEqualTo(1);
    assertThat(pool.getSpec().getUpdateStrategy().getType()).isEqualTo(UpdateStrategyType.Recreate);
    SandboxTemplate template =
        c.resources(SandboxTemplate.class).inNamespace(ns.name()).withName("python").get();
    assertThat(template.getSpec().getNetworkPolicy().getEgress()).hasSize(1);
    assertThat(template.getSpec().getEnvVarsInjectionPolicy()).isEqualTo(InjectionPolicy.Allowed);

    SandboxClaim claim =
        c.resources(SandboxClaim.class).inNamespace(ns.name()).withName("my-claim").get();
    assertThat(claim.getSpec().getWarmPoolRef().getName()).isEqualTo("python-pool");
    assertThat(claim.getSpec().getLifecycle().getShutdownPolicy())
        .isEqualTo(ClaimShutdownPolicy.Retain);
    assertThat(claim.getSpec().getEnv())
        .singleElement()
        .satisfies(e -> assertThat(e.getValue()).isEqualTo("42"));

    // status is a subresource: the main resource ignores it, /status writes it
    SandboxClaimStatus st = new SandboxClaimStatus();
    st.setSandbox(new SandboxClaimStatus.BoundSandbox("python-pool-abcde", List.of("10.1.2.3")));
    claim.setStatus(st);
    SandboxClaim written =
        c.resources(SandboxClaim.class).inNamespace(ns.name()).resource(claim).updateStatus();
    assertThat(written.getStatus().getSandbox().getName()).isEqualTo("python-pool-abcde");
    assertThat(written.getStatus().getSandbox().getPodIPs()).containsExactly("10.1.2.3");
    assertThat(written.getMetadata().getGeneration())
        .as("status writes do not bump generation")
        .isEqualTo(1L);
  }

  @Test
  void shouldApplyTheSeedDocumentsV1alpha1Sandboxes(KubernetesClient c, TestNamespace ns) {
    String seed = SeedExamples.V1ALPHA1_SANDBOXES;
    for (HasMetadata item :
        c.load(
                new java.io.ByteArrayInputStream(
                    seed.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
            .items()) {
      c.resource(item).inNamespace(ns.name()).create();
    }
    // read back through v1beta1 (the storage version; what the controllers read)
    var sandboxes = c.resources(Sandbox.class).inNamespace(ns.name());
    assertThat(
            sandboxes
                .withName("ai-agent-sandbox")
                .get()
                .getSpec()
                .getPodTemplate()
                .getSpec()
                .getRuntimeClassName())
        .isEqualTo("gvisor");
    assertThat(
            sandboxes
                .withName("kata-ai-sandbox")
                .get()
                .getSpec()
                .getPodTemplate()
                .getSpec()
                .getRuntimeClassName())
        .isEqualTo("kata-qemu-nvidia-gpu");
    Sandbox plain = sandboxes.withName("my-sandbox").get();
    assertThat(plain.getApiVersion()).isEqualTo("agents.x-k8s.io/v1beta1");
    assertThat(plain.getSpec().getPodTemplate().getSpec().getRuntimeClassName()).isNull();
    assertThat(plain.getSpec().getOperatingMode()).isEqualTo(OperatingMode.Running);
    assertThat(plain.getSpec().getPodTemplate().getSpec().getContainers())
        .singleElement()
        .satisfies(k -> assertThat(k.getImage()).isEqualTo("busybox:latest"));

    // and still readable as v1alpha1
    io.agentsandbox.k8s.crd.v1alpha1.Sandbox alpha =
        c.resources(io.agentsandbox.k8s.crd.v1alpha1.Sandbox.class)
            .inNamespace(ns.name())
            .withName("ai-agent-sandbox")
            .get();
    assertThat(alpha.getApiVersion()).isEqualTo("agents.x-k8s.io/v1alpha1");
    assertThat(alpha.getSpec().getPodTemplate().getSpec().getRuntimeClassName())
        .isEqualTo("gvisor");
  }

  @Test
  void shouldKeepV1alpha1ReplicasOneOutOfTheV1beta1View(KubernetesClient c, TestNamespace ns) {
    c.resource(
            """
        apiVersion: agents.x-k8s.io/v1alpha1
        kind: Sandbox
        metadata: {name: alpha-one}
        spec:
          replicas: 1
          podTemplate: {spec: {containers: [{name: c, image: busybox}]}}
        """)
        .inNamespace(ns.name())
        .create();
    GenericKubernetesResource beta =
        c.genericKubernetesResources("agents.x-k8s.io/v1beta1", "Sandbox")
            .inNamespace(ns.name())
            .withName("alpha-one")
            .get();
    assertThat(beta.getAdditionalProperties()).containsKey("spec");
    @SuppressWarnings("unchecked")
    java.util.Map<String, Object> spec =
        (java.util.Map<String, Object>) beta.getAdditionalProperties().get("spec");
    assertThat(spec).doesNotContainKey("replicas").containsKey("podTemplate");
  }
}
