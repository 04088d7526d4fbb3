package io.agentsandbox.k8s.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.generator.annotation.Default;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import java.util.List;

/**
 * {@code SandboxTemplate.spec}: the blueprint plus the shared NetworkPolicy and what claims may
 * inject. Mutable JSON bean.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({
  "podTemplate",
  "volumeClaimTemplates",
  "service",
  "networkPolicy",
  "networkPolicyManagement",
  "envVarsInjectionPolicy",
  "volumeClaimTemplatesPolicy"
})
public class SandboxTemplateSpec extends SandboxBlueprintSpec {

  private NetworkPolicySpec networkPolicy;

  @Default("Managed")
  private NetworkPolicyManagement networkPolicyManagement;

  @Default("Disallowed")
  private InjectionPolicy envVarsInjectionPolicy;

  @Default("Disallowed")
  private InjectionPolicy volumeClaimTemplatesPolicy;

  /** Rules of the template's shared NetworkPolicy; null means upstream's secure default. */
  public NetworkPolicySpec getNetworkPolicy() {
    return networkPolicy;
  }

  public void setNetworkPolicy(NetworkPolicySpec networkPolicy) {
    this.networkPolicy = networkPolicy;
  }

  public NetworkPolicyManagement getNetworkPolicyManagement() {
    return networkPolicyManagement;
  }

  public void setNetworkPolicyManagement(NetworkPolicyManagement networkPolicyManagement) {
    this.networkPolicyManagement = networkPolicyManagement;
  }

  /** Governs a claim's {@code spec.env}. */
  public InjectionPolicy getEnvVarsInjectionPolicy() {
    return envVarsInjectionPolicy;
  }

  public void setEnvVarsInjectionPolicy(InjectionPolicy envVarsInjectionPolicy) {
    this.envVarsInjectionPolicy = envVarsInjectionPolicy;
  }

  /** Governs a claim's {@code spec.volumeClaimTemplates}. */
  public InjectionPolicy getVolumeClaimTemplatesPolicy() {
    return volumeClaimTemplatesPolicy;
  }

  public void setVolumeClaimTemplatesPolicy(InjectionPolicy volumeClaimTemplatesPolicy) {
    this.volumeClaimTemplatesPolicy = volumeClaimTemplatesPolicy;
  }

  /** Ingress and egress rules (NetworkPolicy rule subsets). */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class NetworkPolicySpec {
    private List<NetworkPolicyIngressRule> ingress;
    private List<NetworkPolicyEgressRule> egress;

    public List<NetworkPolicyIngressRule> getIngress() {
      return ingress;
    }

    public void setIngress(List<NetworkPolicyIngressRule> ingress) {
      this.ingress = ingress;
    }

    public List<NetworkPolicyEgressRule> getEgress() {
      return egress;
    }

    public void setEgress(List<NetworkPolicyEgressRule> egress) {
      this.egress = egress;
    }
  }
}
