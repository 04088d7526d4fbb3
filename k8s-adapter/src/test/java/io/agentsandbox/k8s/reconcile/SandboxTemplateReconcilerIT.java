package io.agentsandbox.k8s.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.k8s.crd.NetworkPolicyManagement;
import io.agentsandbox.k8s.crd.SandboxTemplate;
import io.agentsandbox.k8s.crd.UpstreamKeys;
import io.agentsandbox.k8s.testing.LocalApiServerExtension;
import io.agentsandbox.k8s.testing.LocalApiServerExtension.TestNamespace;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * SandboxTemplate → shared NetworkPolicy on the real API server (GC by kube-controller-manager).
 */
@ExtendWith(LocalApiServerExtension.class)
class SandboxTemplateReconcilerIT {

  private static final long WAIT_S = 30;
  private static SandboxTemplateReconciler reconciler;

  @BeforeAll
  static void start(KubernetesClient c, TestNamespace ns) throws Exception {
    reconciler = new SandboxTemplateReconciler(c, ns.name(), 2);
    reconciler.start().get(WAIT_S, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    if (reconciler != null) reconciler.close();
  }

  @Test
  void shouldManageTheSharedPolicyThroughItsLifecycle(KubernetesClient c, TestNamespace ns) {
    c.resource(
            """
        apiVersion: extensions.agents.x-k8s.io/v1beta1
        kind: SandboxTemplate
        metadata: {name: python}
        spec:
          podTemplate: {spec: {containers: [{name: c, image: python:3.12-slim}]}}
        """)
        .inNamespace(ns.name())
        .create();
    Resource<NetworkPolicy> np =
        c.network().v1().networkPolicies().inNamespace(ns.name()).withName("python-network-policy");
    NetworkPolicy secure = np.waitUntilCondition(p -> p != null, WAIT_S, TimeUnit.SECONDS);
    assertThat(secure.getSpec().getEgress().get(0).getTo()).hasSize(2);
    c.resources(SandboxTemplate.class)
        .inNamespace(ns.name())
        .withName("python")
        .waitUntilCondition(
            t ->
                t.getMetadata().getLabels() != null
                    && UpstreamKeys.nameHash("python")
                        .equals(
                            t.getMetadata()
                                .getLabels()
                                .get(UpstreamKeys.SANDBOX_TEMPLATE_REF_HASH)),
            WAIT_S,
            TimeUnit.SECONDS);

    // custom rules replace the secure default (a port without protocol: the server defaults it to
    // TCP)
    c.resources(SandboxTemplate.class)
        .inNamespace(ns.name())
        .withName("python")
        .edit(
            t -> {
              t.getSpec()
                  .setNetworkPolicy(
                      io.fabric8.kubernetes.client.utils.Serialization.unmarshal(
                          "egress: [{ports: [{port: 443}]}]",
                          io.agentsandbox.k8s.crd.SandboxTemplateSpec.NetworkPolicySpec.class));
              return t;
            });
    NetworkPolicy custom =
        np.waitUntilCondition(
            p ->
                p != null
                    && p.getSpec().getEgress().size() == 1
                    && !p.getSpec().getEgress().get(0).getPorts().isEmpty(),
            WAIT_S,
            TimeUnit.SECONDS);
    assertThat(custom.getSpec().getEgress().get(0).getPorts().get(0).getProtocol())
        .isEqualTo("TCP");
    long writes = reconciler.apiWrites();

    // Unmanaged deletes the owned policy
    c.resources(SandboxTemplate.class)
        .inNamespace(ns.name())
        .withName("python")
        .edit(
            t -> {
              t.getSpec().setNetworkPolicyManagement(NetworkPolicyManagement.Unmanaged);
              return t;
            });
    np.waitUntilCondition(p -> p == null, WAIT_S, TimeUnit.SECONDS);
    assertThat(reconciler.apiWrites())
        .as("no rewrite loop over a server-defaulted spec")
        .isLessThanOrEqualTo(writes + 1);

    // back to Managed, then deleting the template garbage-collects the policy
    c.resources(SandboxTemplate.class)
        .inNamespace(ns.name())
        .withName("python")
        .edit(
            t -> {
              t.getSpec().setNetworkPolicyManagement(NetworkPolicyManagement.Managed);
              return t;
            });
    np.waitUntilCondition(p -> p != null, WAIT_S, TimeUnit.SECONDS);
    c.resources(SandboxTemplate.class).inNamespace(ns.name()).withName("python").delete();
    np.waitUntilCondition(p -> p == null, WAIT_S, TimeUnit.SECONDS);
  }
}
