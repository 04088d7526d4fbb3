package io.agentsandbox.k8s.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.k8s.crd.SandboxTemplate;
import io.agentsandbox.k8s.crd.UpstreamKeys;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;

class SandboxTemplateResourcesTest {

  static SandboxTemplate template(String specYaml) {
    SandboxTemplate t =
        Serialization.unmarshal(
            """
        apiVersion: extensions.agents.x-k8s.io/v1beta1
        kind: SandboxTemplate
        metadata: {name: python, namespace: ns, uid: t-uid}
        spec:
        """
                + specYaml.indent(2),
            SandboxTemplate.class);
    return t;
  }

  @Test
  void shouldBuildTheSecureDefaultPolicyWithoutRules() {
    NetworkPolicy np =
        SandboxTemplateResources.networkPolicy(
            template("podTemplate: {spec: {containers: [{name: c, image: i}]}}"));
    assertThat(np.getMetadata().getName()).isEqualTo("python-network-policy");
    assertThat(np.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(r -> assertThat(r.getUid()).isEqualTo("t-uid"));
    assertThat(np.getSpec().getPodSelector().getMatchLabels())
        .containsEntry(UpstreamKeys.SANDBOX_TEMPLATE_REF_HASH, UpstreamKeys.nameHash("python"));
    assertThat(np.getSpec().getPolicyTypes()).containsExactly("Ingress", "Egress");
    assertThat(np.getSpec().getIngress())
        .singleElement()
        .satisfies(
            r ->
                assertThat(r.getFrom())
                    .singleElement()
                    .satisfies(
                        p ->
                            assertThat(p.getPodSelector().getMatchLabels())
                                .containsEntry("app", "sandbox-router")));
    assertThat(np.getSpec().getEgress().get(0).getTo())
        .extracting(p -> p.getIpBlock().getCidr())
        .containsExactly("0.0.0.0/0", "::/0");
    assertThat(np.getSpec().getEgress().get(0).getTo().get(0).getIpBlock().getExcept())
        .contains("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16");
    assertThat(SandboxTemplateResources.specHash(np)).hasSize(8);
  }

  @Test
  void shouldUseTheTemplatesRulesWhenGiven() {
    NetworkPolicy np =
        SandboxTemplateResources.networkPolicy(
            template(
                """
        podTemplate: {spec: {containers: [{name: c, image: i}]}}
        networkPolicy:
          egress: [{ports: [{port: 443}]}]
        """));
    assertThat(np.getSpec().getIngress()).isEmpty();
    assertThat(np.getSpec().getEgress())
        .singleElement()
        .satisfies(r -> assertThat(r.getPorts().get(0).getPort().getIntVal()).isEqualTo(443));
  }

  @Test
  void shouldApplySecureDefaultsToPodSpecsOnACopy() {
    PodSpec in = new PodSpec();
    PodSpec out = SandboxTemplateResources.withSecureDefaults(in, true);
    assertThat(out.getAutomountServiceAccountToken()).isFalse();
    assertThat(out.getDnsPolicy()).isEqualTo("None");
    assertThat(out.getDnsConfig().getNameservers()).containsExactly("8.8.8.8", "1.1.1.1");
    assertThat(in.getDnsPolicy()).isNull();
    PodSpec custom = new PodSpec();
    custom.setDnsPolicy("ClusterFirst");
    assertThat(SandboxTemplateResources.withSecureDefaults(custom, true).getDnsPolicy())
        .isEqualTo("ClusterFirst");
    assertThat(SandboxTemplateResources.withSecureDefaults(new PodSpec(), false).getDnsPolicy())
        .isNull();
  }
}
