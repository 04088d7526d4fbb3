package io.agentsandbox.k8s.backend;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.LaunchType;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.crd.UpstreamKeys;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The adoption merge patch, as the API server will read it. */
class AdoptionPatchTest {

  @Test
  @SuppressWarnings("unchecked")
  void shouldMoveTheMemberToItsClaimUnderOptimisticConcurrency() {
    Sandbox member = new Sandbox();
    member.setMetadata(
        new ObjectMetaBuilder()
            .withName("pool-1")
            .withNamespace("ns")
            .withResourceVersion("42")
            .build());
    SandboxClaim claim = new SandboxClaim();
    claim.setMetadata(
        new ObjectMetaBuilder().withName("a").withNamespace("ns").withUid("a-uid").build());

    Map<String, Object> patch =
        AdoptionPatch.of(
            member,
            claim,
            KubernetesBackend.claimOwner(claim),
            LaunchType.WARM,
            Map.of("team.example.com/x", "1"),
            Map.of("note", "hi"));

    Map<String, Object> meta = (Map<String, Object>) patch.get("metadata");
    assertThat(meta).containsEntry("resourceVersion", "42");
    List<Map<String, Object>> owners = (List<Map<String, Object>>) meta.get("ownerReferences");
    assertThat(owners)
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o).containsEntry("kind", "SandboxClaim").containsEntry("uid", "a-uid");
              assertThat(o).containsEntry("controller", true);
            });
    Map<String, Object> labels = (Map<String, Object>) meta.get("labels");
    assertThat(labels)
        .containsEntry(UpstreamKeys.WARM_POOL_SANDBOX, null) // null deletes in a merge patch
        .containsEntry(UpstreamKeys.SANDBOX_TEMPLATE_HASH, null)
        .containsEntry(UpstreamKeys.LAUNCH_TYPE, "warm")
        .containsEntry(UpstreamKeys.CLAIM_UID, "a-uid");
    Map<String, Object> pod =
        (Map<String, Object>)
            ((Map<String, Object>) ((Map<String, Object>) patch.get("spec")).get("podTemplate"))
                .get("metadata");
    assertThat((Map<String, Object>) pod.get("labels"))
        .containsEntry(UpstreamKeys.CLAIM_UID, "a-uid")
        .containsEntry("team.example.com/x", "1");
    assertThat((Map<String, Object>) pod.get("annotations"))
        .containsEntry(UpstreamKeys.SAFE_TO_EVICT, null)
        .containsEntry("note", "hi");
  }
}
