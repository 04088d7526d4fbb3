package io.agentsandbox.k8s.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentsandbox.core.model.ClaimRequest;
import io.agentsandbox.core.model.OnEmpty;
import io.agentsandbox.k8s.crd.AgentSandboxAnnotations;
import io.agentsandbox.k8s.crd.LocalObjectRef;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.crd.SandboxClaimSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What a SandboxClaim asks of the engine: upstream's empty-pool semantics and bad annotations. */
class ClaimRequestsTest {

  private static SandboxClaim claim(Map<String, String> annotations) {
    SandboxClaim c = new SandboxClaim();
    c.setMetadata(
        new ObjectMetaBuilder()
            .withName("c")
            .withNamespace("ns")
            .withAnnotations(annotations)
            .build());
    SandboxClaimSpec spec = new SandboxClaimSpec();
    spec.setWarmPoolRef(new LocalObjectRef("p"));
    c.setSpec(spec);
    return c;
  }

  private static ClaimRequest request(Map<String, String> annotations) {
    SandboxClaim c = claim(annotations);
    return ClaimRequests.request(c, ClaimRequests.askedOnEmpty(c), 10_000, 300_000);
  }

  @Test
  void shouldStartAPlainClaimColdAtOnceOnAnEmptyPoolAsUpstreamDoes() {
    ClaimRequest r = request(Map.of());
    assertThat(r.onEmpty()).isEqualTo(OnEmpty.REJECT); // answered at once; the backend starts cold
    assertThat(r.claimId()).isEqualTo("sc:ns/c");
    assertThat(r.pool().name()).isEqualTo("p");
  }

  @Test
  void shouldWaitForWarmThenStartColdWithWaitMsAlone() {
    SandboxClaim c = claim(Map.of(AgentSandboxAnnotations.WAIT_MS, "2500"));
    ClaimRequest r = ClaimRequests.request(c, null, 10_000, 300_000);
    assertThat(r.onEmpty()).isEqualTo(OnEmpty.WAIT);
    assertThat(r.waitNs()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(2500));
    assertThat(ClaimRequests.waitsThenCold(c, null)).isTrue();
  }

  @Test
  void shouldKeepWaitingOnlyWhenTheClaimAsksForIt() {
    SandboxClaim c = claim(Map.of(AgentSandboxAnnotations.ON_EMPTY, "wait"));
    OnEmpty asked = ClaimRequests.askedOnEmpty(c);
    assertThat(asked).isEqualTo(OnEmpty.WAIT);
    assertThat(ClaimRequests.request(c, asked, 10_000, 300_000).onEmpty()).isEqualTo(OnEmpty.WAIT);
    assertThat(ClaimRequests.waitsThenCold(c, asked)).isFalse();
    assertThat(request(Map.of(AgentSandboxAnnotations.ON_EMPTY, "reject")).onEmpty())
        .isEqualTo(OnEmpty.REJECT);
  }

  @Test
  void shouldNameTheAnnotationOfEveryBadValue() {
    assertThatThrownBy(() -> request(Map.of(AgentSandboxAnnotations.ON_EMPTY, "later")))
        .hasMessageContaining(AgentSandboxAnnotations.ON_EMPTY)
        .hasMessageContaining("later");
    assertThatThrownBy(() -> request(Map.of(AgentSandboxAnnotations.PRIORITY, "high")))
        .hasMessageContaining(AgentSandboxAnnotations.PRIORITY);
    assertThatThrownBy(() -> request(Map.of(AgentSandboxAnnotations.PRIORITY, "5000")))
        .hasMessageContaining("-1000..1000");
    assertThatThrownBy(() -> request(Map.of(AgentSandboxAnnotations.WAIT_MS, "900000")))
        .hasMessageContaining(AgentSandboxAnnotations.WAIT_MS);
  }
}
