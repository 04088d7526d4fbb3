package io.agentsandbox.k8s.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/**
 * {@code SandboxClaim.status} (status subresource). Upstream SDKs read only {@code sandbox.name},
 * {@code sandbox.podIPs} and the {@code Ready} condition. Mutable JSON bean.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"conditions", "sandbox"})
public class SandboxClaimStatus {

  private List<Condition> conditions;
  private BoundSandbox sandbox;

  /** {@code Ready} (the Sandbox's, forwarded, or a claim reason) and {@code Finished}. */
  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }

  /** The bound Sandbox, or null while unbound. */
  public BoundSandbox getSandbox() {
    return sandbox;
  }

  public void setSandbox(BoundSandbox sandbox) {
    this.sandbox = sandbox;
  }

  /** {@code status.sandbox}: the bound Sandbox's name and pod IPs. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonPropertyOrder({"name", "podIPs"})
  public static class BoundSandbox {
    private String name;

    @JsonProperty("podIPs")
    private List<String> podIPs;

    public BoundSandbox() {}

    public BoundSandbox(String name, List<String> podIPs) {
      this.name = name;
      this.podIPs = podIPs;
    }

    /** The claim's name on a cold start, {@code <pool>-xxxxx} on a warm one. */
    public String getName() {
      return name;
    }

    public void setName(String name) {
      this.name = name;
    }

    @JsonProperty("podIPs")
    public List<String> getPodIPs() {
      return podIPs;
    }

    @JsonProperty("podIPs")
    public void setPodIPs(List<String> podIPs) {
      this.podIPs = podIPs;
    }
  }
}
