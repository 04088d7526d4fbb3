package io.agentsandbox.k8s.backend;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.LaunchType;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RecoveredSandbox;
import io.agentsandbox.k8s.crd.LocalObjectRef;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.crd.SandboxClaimSpec;
import io.agentsandbox.k8s.crd.SandboxClaimStatus;
import io.agentsandbox.k8s.crd.SandboxStatus;
import io.agentsandbox.k8s.crd.UpstreamKeys;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Restart recovery under the binding order "claim record first, adoption after": every crash point
 * between the two writes, and no sandbox bound twice.
 */
class CacheRecoveryTest {

  private static final PoolKey POOL = new PoolKey("ns", "pool");

  private static Sandbox sandbox(String name, String ownerKind, String ownerName, String uid) {
    Sandbox s = new Sandbox();
    s.setMetadata(
        new ObjectMetaBuilder()
            .withName(name)
            .withNamespace("ns")
            .withOwnerReferences(
                new OwnerReferenceBuilder()
                    .withKind(ownerKind)
                    .withName(ownerName)
                    .withUid(uid)
                    .withController(true)
                    .build())
            .build());
    SandboxStatus st = new SandboxStatus();
    st.setConditions(List.of(new ConditionBuilder().withType("Ready").withStatus("True").build()));
    st.setPodIPs(List.of("10.0.0.1"));
    s.setStatus(st);
    return s;
  }

  private static Sandbox member(String name) {
    return sandbox(name, "SandboxWarmPool", "pool", "pool-uid");
  }

  private static SandboxClaim claim(String name, String statusSandbox) {
    SandboxClaim c = new SandboxClaim();
    c.setMetadata(
        new ObjectMetaBuilder().withName(name).withNamespace("ns").withUid(name + "-uid").build());
    SandboxClaimSpec spec = new SandboxClaimSpec();
    spec.setWarmPoolRef(new LocalObjectRef("pool"));
    c.setSpec(spec);
    if (statusSandbox != null) {
      SandboxClaimStatus st = new SandboxClaimStatus();
      SandboxClaimStatus.BoundSandbox b = new SandboxClaimStatus.BoundSandbox();
      b.setName(statusSandbox);
      st.setSandbox(b);
      c.setStatus(st);
    }
    return c;
  }

  @Test
  void shouldBindAPoolMemberNamedByAClaimsStatusAndCompleteItsAdoption() {
    // crashed after the claim's status write, before the adoption patch
    SandboxClaim a = claim("a", "pool-1");
    CacheRecovery.Result r =
        CacheRecovery.recover(List.of(member("pool-1"), member("pool-2")), List.of(a));

    List<RecoveredSandbox> members = r.members().get(POOL);
    assertThat(members).hasSize(2);
    RecoveredSandbox bound = members.stream().filter(m -> m.binding() != null).findFirst().get();
    assertThat(bound.sandboxName()).isEqualTo("pool-1");
    assertThat(bound.binding().claimId()).isEqualTo("sc:ns/a");
    assertThat(members.stream().filter(m -> m.binding() == null).map(RecoveredSandbox::sandboxName))
        .containsExactly("pool-2");
    assertThat(r.adoptions()).hasSize(1);
    assertThat(r.adoptions().get(0).claim()).isSameAs(a);
    assertThat(r.adoptions().get(0).launchType()).isEqualTo(LaunchType.WARM);
    assertThat(r.bound()).containsEntry("a-uid", "ns/pool-1");
    assertThat(r.statusFixes()).isEmpty();
  }

  @Test
  void shouldBindAMemberNamedByAnHttpClaimsAnnotation() {
    // an HTTP claim's SandboxClaim was created (its one write), the adoption did not happen
    SandboxClaim h = claim("cl-1", null);
    h.getMetadata()
        .setAnnotations(
            Map.of(KubernetesBackend.CLAIM_ID, "cl-1", UpstreamKeys.SANDBOX_NAME, "pool-1"));
    CacheRecovery.Result r = CacheRecovery.recover(List.of(member("pool-1")), List.of(h));

    assertThat(r.members().get(POOL))
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.binding()).isNotNull();
              assertThat(m.binding().claimId()).isEqualTo("cl-1");
            });
    assertThat(r.httpClaims()).containsEntry("cl-1", "ns");
    assertThat(r.adoptions()).hasSize(1);
  }

  @Test
  void shouldKeepAnAdoptedSandboxBoundAndRewriteAMissingStatus() {
    // adopted (an earlier write order, or status lost): the owner reference binds it
    SandboxClaim a = claim("a", null);
    CacheRecovery.Result r =
        CacheRecovery.recover(List.of(sandbox("pool-1", "SandboxClaim", "a", "a-uid")), List.of(a));

    assertThat(r.members().get(POOL))
        .singleElement()
        .satisfies(m -> assertThat(m.binding()).isNotNull());
    assertThat(r.statusFixes()).hasSize(1);
    assertThat(r.adoptions()).isEmpty();
  }

  @Test
  void shouldNeverBindOneSandboxToTwoClaims() {
    SandboxClaim a = claim("a", "pool-1");
    SandboxClaim b = claim("b", "pool-1");
    CacheRecovery.Result r = CacheRecovery.recover(List.of(member("pool-1")), List.of(a, b));

    assertThat(r.members().get(POOL)).hasSize(1);
    assertThat(r.adoptions()).hasSize(1);
    assertThat(r.bound()).hasSize(1);
  }

  @Test
  void shouldOfferUnnamedReadyMembersAndDeleteUnreadyOnes() {
    Sandbox unready = member("pool-2");
    unready.getStatus().setConditions(List.of());
    SandboxClaim deleting = claim("gone", "pool-1");
    deleting.getMetadata().setDeletionTimestamp("2026-01-01T00:00:00Z");
    CacheRecovery.Result r =
        CacheRecovery.recover(List.of(member("pool-1"), unready), List.of(deleting));

    assertThat(r.members().get(POOL))
        .singleElement()
        .satisfies(m -> assertThat(m.binding()).isNull());
    assertThat(r.orphans()).containsExactly(new CacheRecovery.Orphan(POOL, "pool-2"));
    assertThat(r.adoptions()).isEmpty();
  }

  @Test
  void shouldLeaveUpstreamColdSandboxesToTheirClaims() {
    Sandbox cold = sandbox("a", "SandboxClaim", "a", "a-uid");
    cold.getMetadata().setLabels(Map.of(UpstreamKeys.LAUNCH_TYPE, "cold"));
    CacheRecovery.Result r = CacheRecovery.recover(List.of(cold), List.of(claim("a", "a")));

    assertThat(r.members()).isEmpty();
    assertThat(r.bound()).containsEntry("a-uid", "ns/a");
  }
}
