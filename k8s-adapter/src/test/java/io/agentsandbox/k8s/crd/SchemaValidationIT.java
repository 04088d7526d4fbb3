package io.agentsandbox.k8s.crd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.agentsandbox.k8s.testing.LocalApiServerExtension;
import io.agentsandbox.k8s.testing.LocalApiServerExtension.TestNamespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The generated OpenAPI schemas reject invalid specs on a real API server (HTTP 422). */
@ExtendWith(LocalApiServerExtension.class)
class SchemaValidationIT {

  private static KubernetesClientException rejected(
      KubernetesClient c, TestNamespace ns, String yaml) {
    KubernetesClientException e =
        catchThrowableOfType(
            KubernetesClientException.class,
            () -> c.resource(yaml).inNamespace(ns.name()).create());
    assertThat(e).as("expected the API server to reject:\n" + yaml).isNotNull();
    assertThat(e.getCode()).isEqualTo(422);
    return e;
  }

  @Test
  void shouldRejectNegativePoolReplicas(KubernetesClient c, TestNamespace ns) {
    KubernetesClientException e =
        rejected(
            c,
            ns,
            """
        apiVersion: extensions.agents.x-k8s.io/v1beta1
        kind: SandboxWarmPool
        metadata: {name: bad-replicas}
        spec: {replicas: -1, sandboxTemplateRef: {name: t}}
        """);
    assertThat(e.getMessage()).contains("spec.replicas");
  }

  @Test
  void shouldRejectPoolWithoutTemplateRef(KubernetesClient c, TestNamespace ns) {
    rejected(
        c,
        ns,
        """
        apiVersion: extensions.agents.x-k8s.io/v1beta1
        kind: SandboxWarmPool
        metadata: {name: no-template}
        spec: {replicas: 1}
        """);
  }

  @Test
  void shouldRejectClaimWithoutWarmPoolRefName(KubernetesClient c, TestNamespace ns) {
    KubernetesClientException e =
        rejected(
            c,
            ns,
            """
        apiVersion: extensions.agents.x-k8s.io/v1beta1
        kind: SandboxClaim
        metadata: {name: no-pool-name}
        spec: {warmPoolRef: {}}
        """);
    assertThat(e.getMessage()).contains("spec.warmPoolRef.name");
  }

  @Test
  void shouldRejectClaimWithoutWarmPoolRef(KubernetesClient c, TestNamespace ns) {
    rejected(
        c,
        ns,
        """
        apiVersion: extensions.agents.x-k8s.io/v1beta1
        kind: SandboxClaim
        metadata: {name: no-pool}
        spec: {lifecycle: {shutdownPolicy: Delete}}
        """);
  }

  @Test
  void shouldRejectUnknownEnumValuesAndNegativeTtl(KubernetesClient c, TestNamespace ns) {
    rejected(
        c,
        ns,
        """
        apiVersion: extensions.agents.x-k8s.io/v1beta1
        kind: SandboxClaim
        metadata: {name: bad-policy}
        spec: {warmPoolRef: {name: p}, lifecycle: {shutdownPolicy: Explode}}
        """);
    rejected(
        c,
        ns,
        """
        apiVersion: extensions.agents.x-k8s.io/v1beta1
        kind: SandboxClaim
        metadata: {name: bad-ttl}
        spec: {warmPoolRef: {name: p}, lifecycle: {ttlSecondsAfterFinished: -5}}
        """);
    rejected(
        c,
        ns,
        """
        apiVersion: agents.x-k8s.io/v1beta1
        kind: Sandbox
        metadata: {name: bad-mode}
        spec:
          operatingMode: Paused
          podTemplate: {spec: {containers: [{name: c, image: busybox}]}}
        """);
    rejected(
        c,
        ns,
        """
        apiVersion: extensions.agents.x-k8s.io/v1beta1
        kind: SandboxWarmPool
        metadata: {name: bad-strategy}
        spec: {sandboxTemplateRef: {name: t}, updateStrategy: {type: RollingUpdate}}
        """);
  }

  @Test
  void shouldRejectSandboxWithoutPodTemplateOrPodSpec(KubernetesClient c, TestNamespace ns) {
    rejected(
        c,
        ns,
        """
        apiVersion: agents.x-k8s.io/v1beta1
        kind: Sandbox
        metadata: {name: no-template}
        spec: {service: true}
        """);
    rejected(
        c,
        ns,
        """
        apiVersion: agents.x-k8s.io/v1beta1
        kind: Sandbox
        metadata: {name: no-pod-spec}
        spec: {podTemplate: {metadata: {labels: {a: b}}}}
        """);
    rejected(
        c,
        ns,
        """
        apiVersion: extensions.agents.x-k8s.io/v1beta1
        kind: SandboxTemplate
        metadata: {name: no-pod}
        spec: {networkPolicyManagement: Unmanaged}
        """);
  }

  @Test
  void shouldRejectV1alpha1ReplicasOtherThanOne(KubernetesClient c, TestNamespace ns) {
    rejected(
        c,
        ns,
        """
        apiVersion: agents.x-k8s.io/v1alpha1
        kind: Sandbox
        metadata: {name: alpha-suspended}
        spec:
          replicas: 0
          podTemplate: {spec: {containers: [{name: c, image: busybox}]}}
        """);
  }
}
