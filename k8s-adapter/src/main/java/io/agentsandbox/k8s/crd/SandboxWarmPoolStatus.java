package io.agentsandbox.k8s.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.kubernetes.model.annotation.LabelSelector;
import io.fabric8.kubernetes.model.annotation.StatusReplicas;

/**
 * {@code SandboxWarmPool.status} (status subresource; also the source of {@code /scale}). Mutable
 * JSON bean.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({
  "replicas",
  "readyReplicas",
  "selector",
  "observedGeneration",
  "runtimeClassName"
})
public class SandboxWarmPoolStatus {

  @StatusReplicas private Integer replicas;
  private Integer readyReplicas;
  @LabelSelector private String selector;
  private Long observedGeneration;
  private String runtimeClassName;

  /** Active, non-terminating members, Ready or not. */
  public Integer getReplicas() {
    return replicas;
  }

  public void setReplicas(Integer replicas) {
    this.replicas = replicas;
  }

  public Integer getReadyReplicas() {
    return readyReplicas;
  }

  public void setReadyReplicas(Integer readyReplicas) {
    this.readyReplicas = readyReplicas;
  }

  /** {@code agents.x-k8s.io/warm-pool-sandbox=<hash(pool)>}. */
  public String getSelector() {
    return selector;
  }

  public void setSelector(String selector) {
    this.selector = selector;
  }

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  /**
   * Our addition (optional, status only): the members' {@code runtimeClassName}, empty for the
   * default runtime. Pools are replenished per runtime class.
   */
  public String getRuntimeClassName() {
    return runtimeClassName;
  }

  public void setRuntimeClassName(String runtimeClassName) {
    this.runtimeClassName = runtimeClassName;
  }
}
