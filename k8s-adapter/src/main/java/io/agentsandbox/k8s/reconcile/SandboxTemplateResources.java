package io.agentsandbox.k8s.reconcile;

import io.agentsandbox.k8s.crd.NetworkPolicyManagement;
import io.agentsandbox.k8s.crd.SandboxTemplate;
import io.agentsandbox.k8s.crd.SandboxTemplateSpec;
import io.agentsandbox.k8s.crd.UpstreamKeys;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PodDNSConfigBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Map;

/**
 * Pure functions from a SandboxTemplate to what it owns or implies: the shared NetworkPolicy {@code
 * <template>-network-policy} (upstream's secure default when the template gives no rules) and the
 * secure defaults applied to every pod spec built from a template. Stateless; never mutates its
 * inputs.
 */
public final class SandboxTemplateResources {

  /** Namespace of upstream's sandbox router, the only ingress the secure default allows. */
  public static final String ROUTER_NAMESPACE = "agent-sandbox-system";

  /** Public resolvers used when the secure default blocks cluster DNS. */
  public static final List<String> SECURE_DEFAULT_NAMESERVERS = List.of("8.8.8.8", "1.1.1.1");

  /**
   * Annotation on the NetworkPolicy: NameHash of the desired spec's JSON. Compared instead of the
   * live spec, which the API server may have defaulted (e.g. a port's protocol), so a pass never
   * rewrites an unchanged policy.
   */
  public static final String SPEC_HASH_ANNOTATION = "agentsandbox.io/spec-hash";

  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  private SandboxTemplateResources() {}

  /** {@code <template>-network-policy}. */
  public static String networkPolicyName(String template) {
    return template + "-network-policy";
  }

  /** True when the template's policy is Managed (the default) and it gives no rules of its own. */
  public static boolean usesSecureDefault(SandboxTemplateSpec spec) {
    return spec.getNetworkPolicyManagement() != NetworkPolicyManagement.Unmanaged
        && spec.getNetworkPolicy() == null;
  }

  /**
   * The shared NetworkPolicy: selects the template's pods by {@code
   * agents.x-k8s.io/sandbox-template-ref-hash=<NameHash(template)>}, declares both policy types,
   * and carries the template's rules or, without rules, upstream's secure default: ingress only
   * from {@code app=sandbox-router} pods in {@code agent-sandbox-system}; egress anywhere except
   * private, link-local and ULA ranges (which also blocks cluster DNS).
   */
  public static NetworkPolicy networkPolicy(SandboxTemplate template) {
    String name = template.getMetadata().getName();
    String hash = UpstreamKeys.nameHash(name);
    SandboxTemplateSpec spec = template.getSpec();
    List<NetworkPolicyIngressRule> ingress;
    List<NetworkPolicyEgressRule> egress;
    if (spec.getNetworkPolicy() == null) {
      ingress =
          List.of(
              new NetworkPolicyIngressRuleBuilder()
                  .addNewFrom()
                  .withNewNamespaceSelector()
                  .addToMatchLabels("kubernetes.io/metadata.name", ROUTER_NAMESPACE)
                  .endNamespaceSelector()
                  .withNewPodSelector()
                  .addToMatchLabels("app", "sandbox-router")
                  .endPodSelector()
                  .endFrom()
                  .build());
      egress =
          List.of(
              new NetworkPolicyEgressRuleBuilder()
                  .addNewTo()
                  .withNewIpBlock()
                  .withCidr("0.0.0.0/0")
                  .withExcept("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16")
                  .endIpBlock()
                  .endTo()
                  .addNewTo()
                  .withNewIpBlock()
                  .withCidr("::/0")
                  .withExcept("fc00::/7", "fe80::/10")
                  .endIpBlock()
                  .endTo()
                  .build());
    } else {
      ingress =
          spec.getNetworkPolicy().getIngress() == null
              ? List.of()
              : JSON.clone(spec.getNetworkPolicy()).getIngress();
      egress =
          spec.getNetworkPolicy().getEgress() == null
              ? List.of()
              : JSON.clone(spec.getNetworkPolicy()).getEgress();
    }
    NetworkPolicy np =
        new NetworkPolicyBuilder()
            .withNewMetadata()
            .withName(networkPolicyName(name))
            .withNamespace(template.getMetadata().getNamespace())
            .withLabels(Map.of(UpstreamKeys.SANDBOX_TEMPLATE_REF_HASH, hash))
            .withOwnerReferences(ownerReference(template))
            .endMetadata()
            .withNewSpec()
            .withNewPodSelector()
            .addToMatchLabels(UpstreamKeys.SANDBOX_TEMPLATE_REF_HASH, hash)
            .endPodSelector()
            .withPolicyTypes("Ingress", "Egress")
            .withIngress(ingress)
            .withEgress(egress)
            .endSpec()
            .build();
    np.getMetadata()
        .setAnnotations(
            Map.of(SPEC_HASH_ANNOTATION, UpstreamKeys.nameHash(JSON.asJson(np.getSpec()))));
    return np;
  }

  /** The spec hash a policy was written with, or null. */
  static String specHash(NetworkPolicy np) {
    Map<String, String> a = np.getMetadata().getAnnotations();
    return a == null ? null : a.get(SPEC_HASH_ANNOTATION);
  }

  /**
   * Upstream's {@code ApplySandboxSecureDefaults}, on a copy: no service-account token unless the
   * spec says otherwise and, in secure-default network mode, public resolvers when {@code
   * dnsPolicy} is unset.
   */
  public static PodSpec withSecureDefaults(PodSpec podSpec, boolean secureDefaultNetwork) {
    PodSpec s = JSON.clone(podSpec);
    if (s.getAutomountServiceAccountToken() == null) s.setAutomountServiceAccountToken(false);
    if (secureDefaultNetwork && (s.getDnsPolicy() == null || s.getDnsPolicy().isEmpty())) {
      s.setDnsPolicy("None");
      s.setDnsConfig(new PodDNSConfigBuilder().withNameservers(SECURE_DEFAULT_NAMESERVERS).build());
    }
    return s;
  }

  static OwnerReference ownerReference(SandboxTemplate t) {
    return ControllerRefs.to(
        SandboxTemplate.GROUP + "/" + SandboxTemplate.VERSION, "SandboxTemplate", t);
  }

  static boolean isControlledBy(HasMetadata obj, SandboxTemplate t) {
    return ControllerRefs.isControlledBy(obj, t);
  }
}
