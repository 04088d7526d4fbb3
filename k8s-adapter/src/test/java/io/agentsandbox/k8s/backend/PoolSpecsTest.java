package io.agentsandbox.k8s.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.k8s.crd.AgentSandboxAnnotations;
import io.agentsandbox.k8s.crd.LocalObjectRef;
import io.agentsandbox.k8s.crd.PodTemplate;
import io.agentsandbox.k8s.crd.SandboxTemplate;
import io.agentsandbox.k8s.crd.SandboxTemplateSpec;
import io.agentsandbox.k8s.crd.SandboxWarmPool;
import io.agentsandbox.k8s.crd.SandboxWarmPoolSpec;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PoolSpecsTest {

  private static SandboxTemplate template() {
    SandboxTemplateSpec ts = new SandboxTemplateSpec();
    ts.setPodTemplate(
        new PodTemplate(
            null,
            new PodSpecBuilder()
                .withRuntimeClassName("gvisor")
                .withContainers(
                    new ContainerBuilder()
                        .withName("c")
                        .withImage("python:3.12")
                        .withCommand("sleep", "inf")
                        .addNewEnv()
                        .withName("A")
                        .withValue("1")
                        .endEnv()
                        .withNewResources()
                        .withLimits(
                            Map.of("cpu", new Quantity("500m"), "memory", new Quantity("1Gi")))
                        .endResources()
                        .build())
                .build()));
    SandboxTemplate t = new SandboxTemplate();
    t.setMetadata(new ObjectMetaBuilder().withName("py").withNamespace("ns").build());
    t.setSpec(ts);
    return t;
  }

  private static SandboxWarmPool pool(Integer replicas, Map<String, String> annotations) {
    SandboxWarmPoolSpec ps = new SandboxWarmPoolSpec();
    ps.setReplicas(replicas);
    ps.setSandboxTemplateRef(new LocalObjectRef("py"));
    SandboxWarmPool p = new SandboxWarmPool();
    p.setMetadata(
        new ObjectMetaBuilder()
            .withName("py-pool")
            .withNamespace("ns")
            .withAnnotations(annotations)
            .build());
    p.setSpec(ps);
    return p;
  }

  @Test
  void shouldMapPoolAndTemplateToASpec() {
    PoolSpec spec =
        PoolSpecs.toSpec(
            pool(4, Map.of(AgentSandboxAnnotations.MAX_CLAIMS_PER_TENANT, "7")), template());
    assertThat(spec.key().toString()).isEqualTo("ns/py-pool");
    assertThat(spec.replicas()).isEqualTo(4);
    assertThat(spec.maxClaimsPerTenant()).isEqualTo(7);
    assertThat(spec.autoscale()).isNull();
    assertThat(spec.runtimeClass()).isEqualTo(RuntimeClass.GVISOR);
    assertThat(spec.blueprint().templateName()).isEqualTo("py");
    assertThat(spec.blueprint().image()).isEqualTo("python:3.12");
    assertThat(spec.blueprint().command()).containsExactly("sleep", "inf");
    assertThat(spec.blueprint().env()).containsEntry("A", "1");
    assertThat(spec.blueprint().cpuMillis()).isEqualTo(500);
    assertThat(spec.blueprint().memoryBytes()).isEqualTo(1L << 30);
  }

  @Test
  void shouldDefaultReplicasToOneAndReadAutoscaleBounds() {
    PoolSpec spec =
        PoolSpecs.toSpec(
            pool(
                null,
                Map.of(
                    AgentSandboxAnnotations.MIN_REPLICAS,
                    "2",
                    AgentSandboxAnnotations.MAX_REPLICAS,
                    "9")),
            template());
    assertThat(spec.replicas()).isEqualTo(1);
    assertThat(spec.autoscale().minReplicas()).isEqualTo(2);
    assertThat(spec.autoscale().maxReplicas()).isEqualTo(9);
  }

  @Test
  void shouldRejectABadAnnotationNamingIt() {
    assertThatThrownBy(
            () ->
                PoolSpecs.toSpec(
                    pool(1, Map.of(AgentSandboxAnnotations.MAX_CLAIMS_PER_TENANT, "lots")),
                    template()))
        .hasMessageContaining(AgentSandboxAnnotations.MAX_CLAIMS_PER_TENANT);
  }

  @Test
  void shouldNameTheResourceOfARequestPath() {
    assertThat(
            KubernetesBackend.resourceOf(
                "/apis/agents.x-k8s.io/v1beta1/namespaces/a/sandboxes/sb-1"))
        .isEqualTo("sandboxes");
    assertThat(
            KubernetesBackend.resourceOf(
                "/apis/extensions.agents.x-k8s.io/v1beta1/namespaces/a/sandboxclaims/c/status"))
        .isEqualTo("sandboxclaims/status");
    assertThat(KubernetesBackend.resourceOf("/apis/agents.x-k8s.io/v1beta1/namespaces/a/sandboxes"))
        .isEqualTo("sandboxes");
  }
}
