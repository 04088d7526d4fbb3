package io.agentsandbox.k8s.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.model.annotation.SpecReplicas;

/**
 * {@code SandboxWarmPool.spec}. Mutable JSON bean.
 *
 * <p>Our additions (min/max bounds for demand-driven sizing, a per-tenant claim cap) are
 * annotations, not fields: see {@link AgentSandboxAnnotations}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"replicas", "sandboxTemplateRef", "updateStrategy"})
public class SandboxWarmPoolSpec {

  @SpecReplicas
  @Default("1")
  @Min(0)
  private Integer replicas;

  @Required private LocalObjectRef sandboxTemplateRef;

  private UpdateStrategy updateStrategy;

  /** Desired count of unclaimed sandboxes (default 1, at least 0); the {@code /scale} target. */
  public Integer getReplicas() {
    return replicas;
  }

  public void setReplicas(Integer replicas) {
    this.replicas = replicas;
  }

  /** The template (same namespace) the members are built from. Required. */
  public LocalObjectRef getSandboxTemplateRef() {
    return sandboxTemplateRef;
  }

  public void setSandboxTemplateRef(LocalObjectRef sandboxTemplateRef) {
    this.sandboxTemplateRef = sandboxTemplateRef;
  }

  /** How stale members are handled; null means {@code OnReplenish}. */
  public UpdateStrategy getUpdateStrategy() {
    return updateStrategy;
  }

  public void setUpdateStrategy(UpdateStrategy updateStrategy) {
    this.updateStrategy = updateStrategy;
  }

  /** {@code spec.updateStrategy}. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class UpdateStrategy {

    @Default("OnReplenish")
    private UpdateStrategyType type;

    public UpdateStrategy() {}

    public UpdateStrategy(UpdateStrategyType type) {
      this.type = type;
    }

    public UpdateStrategyType getType() {
      return type;
    }

    public void setType(UpdateStrategyType type) {
      this.type = type;
    }
  }
}
