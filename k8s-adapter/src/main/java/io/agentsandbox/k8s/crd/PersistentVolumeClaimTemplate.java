package io.agentsandbox.k8s.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimSpec;

/**
 * One entry of {@code volumeClaimTemplates}: the controller creates a PVC named {@code
 * <metadata.name>-<sandbox>} and mounts it as the pod volume {@code metadata.name}, which replaces
 * any pod volume of that name (StatefulSet semantics). Mutable JSON bean.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"metadata", "spec"})
public class PersistentVolumeClaimTemplate {

  @Required private ClaimTemplateMetadata metadata;
  private PersistentVolumeClaimSpec spec;

  public PersistentVolumeClaimTemplate() {}

  public PersistentVolumeClaimTemplate(
      ClaimTemplateMetadata metadata, PersistentVolumeClaimSpec spec) {
    this.metadata = metadata;
    this.spec = spec;
  }

  public ClaimTemplateMetadata getMetadata() {
    return metadata;
  }

  public void setMetadata(ClaimTemplateMetadata metadata) {
    this.metadata = metadata;
  }

  public PersistentVolumeClaimSpec getSpec() {
    return spec;
  }

  public void setSpec(PersistentVolumeClaimSpec spec) {
    this.spec = spec;
  }

  /** Name, labels and annotations of a volume claim template. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class ClaimTemplateMetadata extends PodMetadata {

    @Required private String name;

    public ClaimTemplateMetadata() {}

    public ClaimTemplateMetadata(String name) {
      this.name = name;
    }

    /** The volume name; the PVC is {@code <name>-<sandbox>}. Required. */
    public String getName() {
      return name;
    }

    public void setName(String name) {
      this.name = name;
    }
  }
}
