package io.agentsandbox.k8s.backend;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentsandbox.core.model.LaunchType;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.crd.UpstreamKeys;
import io.fabric8.kubernetes.api.model.OwnerReference;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON merge patch that moves a pool member to its claim: the claim becomes the only (and
 * controller) owner, the pool and template-hash labels go, {@code launch-type} and {@code
 * claim-uid} are set, {@code pod-name} is annotated, the pod template gets the claim's uid label
 * and its additional pod metadata and loses safe-to-evict. The patch carries the member's {@code
 * resourceVersion} (optimistic concurrency). Pure; any thread.
 */
final class AdoptionPatch {

  private static final ObjectMapper JSON = new ObjectMapper();

  private AdoptionPatch() {}

  /**
   * The patch.
   *
   * @param member the pool member as last read
   * @param owner the claim's controller reference ({@link KubernetesBackend#claimOwner})
   * @param extraLabels the claim's {@code additionalPodMetadata} labels, already validated
   * @param extraAnnotations its annotations, already validated
   */
  static Map<String, Object> of(
      Sandbox member,
      SandboxClaim claim,
      OwnerReference owner,
      LaunchType launchType,
      Map<String, String> extraLabels,
      Map<String, String> extraAnnotations) {
    String claimUid = claim.getMetadata().getUid();
    Map<String, Object> labels = new LinkedHashMap<>();
    labels.put(UpstreamKeys.WARM_POOL_SANDBOX, null);
    labels.put(UpstreamKeys.SANDBOX_TEMPLATE_HASH, null);
    labels.put(UpstreamKeys.SANDBOX_POD_TEMPLATE_HASH, null);
    labels.put(UpstreamKeys.LAUNCH_TYPE, launchType == LaunchType.COLD ? "cold" : "warm");
    labels.put(UpstreamKeys.CLAIM_UID, claimUid);
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("resourceVersion", member.getMetadata().getResourceVersion());
    meta.put("ownerReferences", List.of(JSON.convertValue(owner, Map.class)));
    meta.put("labels", labels);
    meta.put("annotations", Map.of(UpstreamKeys.POD_NAME, member.getMetadata().getName()));
    Map<String, Object> podLabels = new LinkedHashMap<>();
    podLabels.put(UpstreamKeys.CLAIM_UID, claimUid);
    podLabels.putAll(extraLabels);
    Map<String, Object> podAnn = new LinkedHashMap<>();
    podAnn.put(UpstreamKeys.SAFE_TO_EVICT, null);
    podAnn.putAll(extraAnnotations);
    Map<String, Object> podMeta = new LinkedHashMap<>();
    podMeta.put("labels", podLabels);
    podMeta.put("annotations", podAnn);
    return Map.of("metadata", meta, "spec", Map.of("podTemplate", Map.of("metadata", podMeta)));
  }
}
