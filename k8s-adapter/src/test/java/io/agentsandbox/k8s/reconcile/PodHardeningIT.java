package io.agentsandbox.k8s.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxBlueprint;
import io.agentsandbox.core.port.ProvisionListener;
import io.agentsandbox.k8s.agent.AgentInjection;
import io.agentsandbox.k8s.crd.UpstreamKeys;
import io.agentsandbox.k8s.provision.Fabric8SandboxProvisioner;
import io.agentsandbox.k8s.testing.LocalApiServerExtension;
import io.agentsandbox.k8s.testing.LocalApiServerExtension.TestNamespace;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the API server stores for sandbox pods made by the adapter: no service-account token, {@code
 * seccompProfile: RuntimeDefault}, every capability dropped, no privilege escalation, for a pool
 * member (through the provisioner) and for a Sandbox from a template's pod template, the injected
 * agent's init container included; and the template's NetworkPolicy selecting those pods, denying
 * ingress except from the sandbox router.
 */
@ExtendWith(LocalApiServerExtension.class)
class PodHardeningIT {

  private static final long WAIT_S = 30;
  private static SandboxReconciler sandboxes;
  private static SandboxTemplateReconciler templates;
  private static Fabric8SandboxProvisioner provisioner;

  @BeforeAll
  static void start(KubernetesClient c, TestNamespace ns) throws Exception {
    try {
      c.resource(
              new io.fabric8.kubernetes.api.model.node.v1.RuntimeClassBuilder()
                  .withNewMetadata()
                  .withName("gvisor")
                  .endMetadata()
                  .withHandler("runsc")
                  .build())
          .create();
    } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
      if (e.getCode() != 409) throw e;
    }
    // with the in-sandbox agent injected: its init container must be hardened (and valid) too
    sandboxes =
        new SandboxReconciler(
            c,
            SandboxReconciler.Options.defaults().inNamespace(ns.name()),
            new AgentInjection(AgentInjection.Options.enabled(new byte[32])));
    sandboxes.start().get(WAIT_S, TimeUnit.SECONDS);
    templates = new SandboxTemplateReconciler(c, ns.name(), 2);
    templates.start().get(WAIT_S, TimeUnit.SECONDS);
    provisioner =
        new Fabric8SandboxProvisioner(c, new Fabric8SandboxProvisioner.Options(ns.name(), 2, 1000));
    provisioner.start().get(WAIT_S, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    if (provisioner != null) provisioner.close();
    if (templates != null) templates.close();
    if (sandboxes != null) sandboxes.close();
  }

  private static void assertHardened(Pod pod) {
    assertThat(AgentInjection.injected(pod)).as("agent injected").isTrue();
    assertThat(pod.getSpec().getInitContainers())
        .extracting(Container::getName)
        .contains(AgentInjection.INIT_CONTAINER);
    assertThat(pod.getSpec().getAutomountServiceAccountToken())
        .as("automountServiceAccountToken")
        .isFalse();
    assertThat(pod.getSpec().getSecurityContext().getSeccompProfile().getType())
        .isEqualTo("RuntimeDefault");
    List<Container> all = new java.util.ArrayList<>(pod.getSpec().getContainers());
    if (pod.getSpec().getInitContainers() != null) all.addAll(pod.getSpec().getInitContainers());
    assertThat(all)
        .isNotEmpty()
        .allSatisfy(
            k -> {
              assertThat(k.getSecurityContext().getAllowPrivilegeEscalation())
                  .as(k.getName() + " allowPrivilegeEscalation")
                  .isFalse();
              assertThat(k.getSecurityContext().getCapabilities().getDrop())
                  .as(k.getName() + " capabilities.drop")
                  .containsExactly("ALL");
              assertThat(k.getSecurityContext().getCapabilities().getAdd())
                  .as(k.getName() + " capabilities.add")
                  .isNullOrEmpty();
            });
  }

  @Test
  void shouldHardenPoolMemberPods(KubernetesClient c, TestNamespace ns) {
    SandboxBlueprint blueprint =
        new SandboxBlueprint(
            "python",
            RuntimeClass.GVISOR,
            "python:3.12-slim",
            List.of("sleep"),
            List.of("infinity"),
            Map.of(),
            500,
            256L << 20);
    provisioner.create(
        new PoolKey(ns.name(), "python-pool"),
        "hardened-member",
        blueprint,
        ProvisionListener.NOOP);
    Pod pod =
        c.pods()
            .inNamespace(ns.name())
            .withName("hardened-member")
            .waitUntilCondition(p -> p != null, WAIT_S, TimeUnit.SECONDS);
    assertHardened(pod);
  }

  @Test
  void shouldHardenTemplatePodsAndDenyIngressExceptFromTheRouter(
      KubernetesClient c, TestNamespace ns) {
    c.resource(
            """
        apiVersion: extensions.agents.x-k8s.io/v1beta1
        kind: SandboxTemplate
        metadata: {name: shell}
        spec:
          podTemplate:
            spec:
              initContainers: [{name: init, image: busybox, command: ["true"]}]
              containers: [{name: sh, image: busybox, command: [sleep, infinity]}]
        """)
        .inNamespace(ns.name())
        .create();
    c.resource(
            """
        apiVersion: agents.x-k8s.io/v1beta1
        kind: Sandbox
        metadata:
          name: from-template
          labels: {%s: %s}
        spec:
          podTemplate:
            metadata: {labels: {%s: %s}}
            spec:
              initContainers: [{name: init, image: busybox, command: ["true"]}]
              containers: [{name: sh, image: busybox, command: [sleep, infinity]}]
        """
                .formatted(
                    UpstreamKeys.SANDBOX_TEMPLATE_REF_HASH,
                    UpstreamKeys.nameHash("shell"),
                    UpstreamKeys.SANDBOX_TEMPLATE_REF_HASH,
                    UpstreamKeys.nameHash("shell")))
        .inNamespace(ns.name())
        .create();
    Pod pod =
        c.pods()
            .inNamespace(ns.name())
            .withName("from-template")
            .waitUntilCondition(p -> p != null, WAIT_S, TimeUnit.SECONDS);
    assertHardened(pod);

    NetworkPolicy np =
        c.network()
            .v1()
            .networkPolicies()
            .inNamespace(ns.name())
            .withName("shell-network-policy")
            .waitUntilCondition(p -> p != null, WAIT_S, TimeUnit.SECONDS);
    assertThat(np.getSpec().getPolicyTypes()).contains("Ingress", "Egress");
    // The policy selects the template's pods ...
    assertThat(np.getSpec().getPodSelector().getMatchLabels())
        .containsEntry(UpstreamKeys.SANDBOX_TEMPLATE_REF_HASH, UpstreamKeys.nameHash("shell"));
    assertThat(pod.getMetadata().getLabels())
        .containsAllEntriesOf(np.getSpec().getPodSelector().getMatchLabels());
    // ... and lets in only the router's pods in its namespace: no ipBlock, no namespace-wide rule,
    // no open port.
    assertThat(np.getSpec().getIngress())
        .singleElement()
        .satisfies(
            rule -> {
              assertThat(rule.getPorts()).isNullOrEmpty();
              NetworkPolicyPeer from = rule.getFrom().get(0);
              assertThat(rule.getFrom()).hasSize(1);
              assertThat(from.getIpBlock()).isNull();
              assertThat(from.getPodSelector().getMatchLabels())
                  .containsEntry("app", "sandbox-router");
              assertThat(from.getNamespaceSelector().getMatchLabels()).isNotEmpty();
            });
  }
}
