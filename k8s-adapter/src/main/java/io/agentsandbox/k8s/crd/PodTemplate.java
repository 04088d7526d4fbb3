package io.agentsandbox.k8s.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.PodSpec;

/**
 * The pod a sandbox runs ({@code spec.podTemplate} of a Sandbox or SandboxTemplate): a full {@link
 * PodSpec} plus the labels and annotations to put on the pod. Mutable JSON bean; copy it before
 * changing an instance that came from an informer cache.
 *
 * <p>System-reserved keys ({@code agents.x-k8s.io/*}, {@code extensions.agents.x-k8s.io/*}, {@code
 * opentelemetry.io/trace-context}) in {@code metadata} are ignored by the controllers, as upstream
 * does.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"metadata", "spec"})
public class PodTemplate {

  private PodMetadata metadata;

  @Required private PodSpec spec;

  public PodTemplate() {}

  public PodTemplate(PodMetadata metadata, PodSpec spec) {
    this.metadata = metadata;
    this.spec = spec;
  }

  /** Labels and annotations for the pod; may be null. */
  public PodMetadata getMetadata() {
    return metadata;
  }

  public void setMetadata(PodMetadata metadata) {
    this.metadata = metadata;
  }

  /** The pod's spec (required). */
  public PodSpec getSpec() {
    return spec;
  }

  public void setSpec(PodSpec spec) {
    this.spec = spec;
  }
}
