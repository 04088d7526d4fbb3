package io.agentsandbox.k8s.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxConditions;
import io.agentsandbox.k8s.testing.ClusterFixtures;
import io.agentsandbox.k8s.testing.CrudMockServer;
import io.agentsandbox.k8s.testing.Kubelet;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Fast check of the reconciler's wiring against fabric8's CRUD mock (no schema, no GC, no
 * defaulting: everything else is covered by {@code SandboxReconcilerIT} on the real server).
 */
class SandboxReconcilerMockTest {

  private CrudMockServer mock;
  private KubernetesClient client;
  private SandboxReconciler reconciler;

  @BeforeEach
  void start() throws Exception {
    mock = new CrudMockServer();
    client = mock.client();
    ClusterFixtures.installCrd(client, "agents.x-k8s.io_sandboxes.yaml");
    reconciler =
        new SandboxReconciler(client, SandboxReconciler.Options.defaults().inNamespace("test"));
    reconciler.start().get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() {
    try {
      if (reconciler != null) reconciler.close();
    } finally {
      mock.close();
    }
  }

  @Test
  void shouldCreateThePodAndReportReadyOnceItRuns() {
    client
        .resource(
            """
        apiVersion: agents.x-k8s.io/v1beta1
        kind: Sandbox
        metadata: {name: sb, namespace: test}
        spec:
          podTemplate: {spec: {containers: [{name: c, image: busybox}]}}
        """)
        .inNamespace("test")
        .create();
    Pod pod =
        client
            .pods()
            .inNamespace("test")
            .withName("sb")
            .waitUntilCondition(p -> p != null, 10, TimeUnit.SECONDS);
    assertThat(pod.getSpec().getAutomountServiceAccountToken()).isFalse();

    Kubelet.markRunning(client, "test", "sb", "10.0.0.5");
    Sandbox ready =
        client
            .resources(Sandbox.class)
            .inNamespace("test")
            .withName("sb")
            .waitUntilCondition(
                s ->
                    s != null
                        && s.getStatus() != null
                        && s.getStatus().getConditions() != null
                        && s.getStatus().getConditions().stream()
                            .anyMatch(
                                c ->
                                    c.getType().equals(SandboxConditions.READY)
                                        && c.getStatus().equals("True")),
                10,
                TimeUnit.SECONDS);
    assertThat(ready.getStatus().getPodIPs()).containsExactly("10.0.0.5");
    assertThat(reconciler.apiWrites()).isPositive();
  }
}
