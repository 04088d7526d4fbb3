package io.agentsandbox.k8s.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Required;
import java.util.List;

/**
 * Upstream's {@code SandboxBlueprint}: the fields a Sandbox and a SandboxTemplate share, inlined
 * into both specs. Mutable JSON bean.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public abstract class SandboxBlueprintSpec {

  @Required private PodTemplate podTemplate;
  private List<PersistentVolumeClaimTemplate> volumeClaimTemplates;
  private Boolean service;

  /** The pod to run (required). */
  public PodTemplate getPodTemplate() {
    return podTemplate;
  }

  public void setPodTemplate(PodTemplate podTemplate) {
    this.podTemplate = podTemplate;
  }

  /**
   * One PVC per entry, named {@code <vct>-<sandbox>}, mounted as the pod volume of the same name.
   * Immutable upstream (a CEL rule there; the v1.20 test server has no CEL, so not enforced here).
   */
  public List<PersistentVolumeClaimTemplate> getVolumeClaimTemplates() {
    return volumeClaimTemplates;
  }

  public void setVolumeClaimTemplates(List<PersistentVolumeClaimTemplate> volumeClaimTemplates) {
    this.volumeClaimTemplates = volumeClaimTemplates;
  }

  /**
   * {@code true}: a headless Service named after the sandbox; {@code false}: delete an owned one;
   * {@code null}: keep an existing Service but never create one.
   */
  public Boolean getService() {
    return service;
  }

  public void setService(Boolean service) {
    this.service = service;
  }
}
