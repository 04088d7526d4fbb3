package io.agentsandbox.k8s.reconcile;

import io.agentsandbox.k8s.crd.UpstreamKeys;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import java.util.Objects;

/**
 * Upstream's in-place metadata sync of an existing pod as a JSON merge patch: the synced Sandbox
 * labels (pool, template, claim) and the pod template's labels and annotations are set; synced or
 * previously propagated keys that are gone are removed. Pure.
 */
final class PodMetadataPatch {
  private PodMetadataPatch() {}

  /**
   * The merge patch that brings {@code podNow}'s metadata to {@code podWanted}'s; null when equal.
   */
  static String of(Pod podNow, Pod podWanted) {
    java.util.Map<String, String> hl =
        podNow.getMetadata().getLabels() == null
            ? java.util.Map.of()
            : podNow.getMetadata().getLabels();
    java.util.Map<String, String> ha =
        podNow.getMetadata().getAnnotations() == null
            ? java.util.Map.of()
            : podNow.getMetadata().getAnnotations();
    java.util.Set<String> removableLabels =
        new java.util.HashSet<>(SandboxResources.SYNCED_SANDBOX_LABELS);
    removableLabels.addAll(csv(ha.get(UpstreamKeys.PROPAGATED_LABELS)));
    java.util.Set<String> removableAnnotations =
        new java.util.HashSet<>(csv(ha.get(UpstreamKeys.PROPAGATED_ANNOTATIONS)));
    removableAnnotations.add(UpstreamKeys.PROPAGATED_LABELS);
    removableAnnotations.add(UpstreamKeys.PROPAGATED_ANNOTATIONS);
    java.util.Map<String, Object> labels =
        diff(hl, podWanted.getMetadata().getLabels(), removableLabels);
    java.util.Map<String, Object> annotations =
        diff(ha, podWanted.getMetadata().getAnnotations(), removableAnnotations);
    if (labels.isEmpty() && annotations.isEmpty()) return null;
    java.util.Map<String, Object> meta = new java.util.LinkedHashMap<>();
    if (!labels.isEmpty()) meta.put("labels", labels);
    if (!annotations.isEmpty()) meta.put("annotations", annotations);
    return mergePatch(java.util.Map.of("metadata", meta));
  }

  /** JSON with nulls kept (a merge patch removes keys with null). */
  private static String mergePatch(Object o) {
    try {
      return PLAIN_JSON.writeValueAsString(o);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper PLAIN_JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  private static java.util.Map<String, Object> diff(
      java.util.Map<String, String> have,
      java.util.Map<String, String> desired,
      java.util.Set<String> removable) {
    java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
    java.util.Map<String, String> w = desired == null ? java.util.Map.of() : desired;
    w.forEach(
        (k, v) -> {
          if (!Objects.equals(v, have.get(k))) out.put(k, v);
        });
    for (String k : removable) if (have.containsKey(k) && !w.containsKey(k)) out.put(k, null);
    return out;
  }

  private static List<String> csv(String v) {
    if (v == null || v.isEmpty()) return List.of();
    return List.of(v.split(","));
  }
}
