package io.agentsandbox.k8s.crd.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/**
 * {@code Sandbox.spec} as served under v1alpha1: the v1beta1 fields plus the legacy {@code
 * replicas}, restricted to 1. Mutable JSON bean.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SandboxSpec extends io.agentsandbox.k8s.crd.SandboxSpec {

  @Min(1)
  @Max(1)
  private Integer replicas;

  /**
   * Legacy v1alpha1 field. Only 1 (running) is accepted: with conversion {@code None} a 0 could not
   * become v1beta1 {@code operatingMode: Suspended}, so the schema refuses it instead of ignoring
   * it.
   */
  public Integer getReplicas() {
    return replicas;
  }

  public void setReplicas(Integer replicas) {
    this.replicas = replicas;
  }
}
