package io.agentsandbox.k8s.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/**
 * {@code Sandbox.status}, written only by the Sandbox reconciler (status subresource). Mutable JSON
 * bean.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"conditions", "podIPs", "nodeName", "service", "serviceFQDN", "selector"})
public class SandboxStatus {

  private List<Condition> conditions;

  @JsonProperty("podIPs")
  private List<String> podIPs;

  private String nodeName;
  private String service;

  @JsonProperty("serviceFQDN")
  private String serviceFQDN;

  private String selector;

  /**
   * {@code Ready}, {@code Suspended}, {@code PodScheduled}, {@code Finished} (see {@link
   * SandboxConditions}).
   */
  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }

  /** The pod's IPs; empty or null while there is no pod. */
  @JsonProperty("podIPs")
  public List<String> getPodIPs() {
    return podIPs;
  }

  @JsonProperty("podIPs")
  public void setPodIPs(List<String> podIPs) {
    this.podIPs = podIPs;
  }

  public String getNodeName() {
    return nodeName;
  }

  public void setNodeName(String nodeName) {
    this.nodeName = nodeName;
  }

  /** The Service's name, or null. */
  public String getService() {
    return service;
  }

  public void setService(String service) {
    this.service = service;
  }

  /** {@code <svc>.<ns>.svc.<cluster-domain>}, or null without a Service. */
  @JsonProperty("serviceFQDN")
  public String getServiceFQDN() {
    return serviceFQDN;
  }

  @JsonProperty("serviceFQDN")
  public void setServiceFQDN(String serviceFQDN) {
    this.serviceFQDN = serviceFQDN;
  }

  /** {@code agents.x-k8s.io/sandbox-name-hash=<hash>}. */
  public String getSelector() {
    return selector;
  }

  public void setSelector(String selector) {
    this.selector = selector;
  }
}
