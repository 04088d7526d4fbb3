package io.agentsandbox.k8s.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/**
 * Labels and annotations only: the {@code metadata} of a pod template, and the claim's {@code
 * additionalPodMetadata}. Mutable JSON bean.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PodMetadata {

  private Map<String, String> labels;
  private Map<String, String> annotations;

  public PodMetadata() {}

  public PodMetadata(Map<String, String> labels, Map<String, String> annotations) {
    this.labels = labels;
    this.annotations = annotations;
  }

  public Map<String, String> getLabels() {
    return labels;
  }

  public void setLabels(Map<String, String> labels) {
    this.labels = labels;
  }

  public Map<String, String> getAnnotations() {
    return annotations;
  }

  public void setAnnotations(Map<String, String> annotations) {
    this.annotations = annotations;
  }
}
