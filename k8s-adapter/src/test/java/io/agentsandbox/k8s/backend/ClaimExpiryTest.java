package io.agentsandbox.k8s.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentsandbox.k8s.crd.LocalObjectRef;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.crd.SandboxClaimSpec;
import io.agentsandbox.k8s.crd.SandboxClaimStatus;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The claim expiry timer on a clock the test moves (no sleeping). */
class ClaimExpiryTest {

  /** A clock the test sets. */
  private static final class MovableClock extends Clock {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  private static SandboxClaim claim(String shutdownTime, Integer ttl, String finishedAt) {
    SandboxClaim c = new SandboxClaim();
    c.setMetadata(new ObjectMetaBuilder().withName("c").withNamespace("ns").build());
    SandboxClaimSpec spec = new SandboxClaimSpec();
    spec.setWarmPoolRef(new LocalObjectRef("p"));
    SandboxClaimSpec.Lifecycle l = new SandboxClaimSpec.Lifecycle();
    l.setShutdownTime(shutdownTime);
    l.setTtlSecondsAfterFinished(ttl);
    spec.setLifecycle(l);
    c.setSpec(spec);
    if (finishedAt != null) {
      SandboxClaimStatus st = new SandboxClaimStatus();
      st.setConditions(
          List.of(
              new ConditionBuilder()
                  .withType("Finished")
                  .withStatus("True")
                  .withReason("PodSucceeded")
                  .withLastTransitionTime(finishedAt)
                  .build()));
      c.setStatus(st);
    }
    return c;
  }

  @Test
  void shouldTakeTheEarlierOfShutdownTimeAndFinishedPlusTtl() {
    assertThat(ClaimExpiry.expiryOf(claim("2026-01-01T01:00:00Z", null, null)))
        .isEqualTo(Instant.parse("2026-01-01T01:00:00Z"));
    assertThat(ClaimExpiry.expiryOf(claim(null, 30, null)))
        .as("ttl without Finished: no expiry yet")
        .isNull();
    assertThat(ClaimExpiry.expiryOf(claim("2026-01-01T01:00:00Z", 30, "2026-01-01T00:10:00Z")))
        .isEqualTo(Instant.parse("2026-01-01T00:10:30Z"));
    assertThat(ClaimExpiry.expiryOf(claim("2026-01-01T00:05:00Z", 30, "2026-01-01T00:10:00Z")))
        .isEqualTo(Instant.parse("2026-01-01T00:05:00Z"));
    assertThatThrownBy(() -> ClaimExpiry.expiryOf(claim("tomorrow", null, null)))
        .hasMessageContaining("spec.lifecycle.shutdownTime");
  }

  @Test
  void shouldFireEachDueClaimOnceWhenTheClockPassesItsExpiry() {
    MovableClock clock = new MovableClock();
    List<String> fired = new ArrayList<>();
    ClaimExpiry e = new ClaimExpiry(clock, fired::add);
    e.schedule("ns/a", clock.now.plusSeconds(10));
    e.schedule("ns/b", clock.now.plusSeconds(5));
    e.schedule("ns/c", clock.now.plusSeconds(7));
    e.schedule("ns/c", null); // cleared
    e.tick();
    assertThat(fired).isEmpty();
    clock.now = clock.now.plus(Duration.ofSeconds(6));
    e.tick();
    assertThat(fired).containsExactly("ns/b");
    e.schedule("ns/a", clock.now.plusSeconds(60)); // moved later
    clock.now = clock.now.plusSeconds(10);
    e.tick();
    assertThat(fired).containsExactly("ns/b");
    clock.now = clock.now.plusSeconds(60);
    e.tick();
    e.tick();
    assertThat(fired).containsExactly("ns/b", "ns/a");
    assertThat(e.size()).isZero();
    assertThat(e.isDue(clock.now)).isTrue();
    assertThat(e.isDue(null)).isFalse();
  }
}
