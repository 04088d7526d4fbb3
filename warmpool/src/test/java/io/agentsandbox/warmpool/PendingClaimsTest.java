package io.agentsandbox.warmpool;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.testing.ClaimFixtures;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PendingClaimsTest {

  private final PendingClaims pending = new PendingClaims();

  private ParkedClaim park(String id, String tenant, int priority) {
    ParkedClaim c =
        new ParkedClaim(
            ClaimFixtures.claim().id(id).tenant(tenant).priority(priority).ticket(), 0, null);
    pending.add(c);
    return c;
  }

  private List<String> pollAll() {
    List<String> out = new ArrayList<>();
    pending.drainTo(c -> out.add(c.claimId()));
    return out;
  }

  @Test
  void shouldServeHighestPriorityFirst() {
    park("p0", "t", 0);
    park("p5", "t", 5);
    park("pm3", "t", -3);
    park("p10", "u", 10);

    assertThat(pollAll()).containsExactly("p10", "p5", "p0", "pm3");
    assertThat(pending.size()).isZero();
  }

  @Test
  void shouldServeTenantWithOneClaimWithinFirstTwoPollsWhenAnotherTenantFlooded() {
    for (int i = 0; i < 100; i++) park("a" + i, "A", 0);
    park("b0", "B", 0);

    List<String> firstTwo = List.of(pending.poll().claimId(), pending.poll().claimId());

    assertThat(firstTwo).contains("b0");
    assertThat(pending.size()).isEqualTo(99);
  }

  @Test
  void shouldRotateAcrossTenantsAndKeepFifoWithinATenant() {
    park("a1", "A", 0);
    park("a2", "A", 0);
    park("a3", "A", 0);
    park("b1", "B", 0);
    park("b2", "B", 0);
    park("c1", "C", 0);

    assertThat(pollAll()).containsExactly("a1", "b1", "c1", "a2", "b2", "a3");
  }

  @Test
  void shouldSkipRemovedClaimsAndKeepCountsRight() {
    ParkedClaim a1 = park("a1", "A", 0);
    ParkedClaim a2 = park("a2", "A", 0);
    park("a3", "A", 0);
    park("b1", "B", 0);

    pending.remove(a2);
    assertThat(pending.size()).isEqualTo(3);
    pending.remove(a2);
    assertThat(pending.size()).isEqualTo(3);

    assertThat(pending.poll()).isSameAs(a1);
    assertThat(a1.dead).isTrue();
    // A claim already served is not counted out twice.
    pending.remove(a1);
    assertThat(pending.size()).isEqualTo(2);

    assertThat(pollAll()).containsExactly("b1", "a3");
    assertThat(pending.poll()).isNull();
    assertThat(pending.size()).isZero();
  }

  @Test
  void shouldDropTenantFromRotationWhenAllItsClaimsAreRemoved() {
    ParkedClaim a1 = park("a1", "A", 0);
    ParkedClaim a2 = park("a2", "A", 0);
    park("b1", "B", 0);
    park("b2", "B", 0);

    pending.remove(a1);
    pending.remove(a2);

    assertThat(pending.size()).isEqualTo(2);
    assertThat(pollAll()).containsExactly("b1", "b2");
  }

  @Test
  void shouldFallThroughToLowerPriorityWhenHigherLevelIsRemoved() {
    ParkedClaim high = park("high", "A", 7);
    park("low", "B", 0);

    pending.remove(high);

    assertThat(pending.size()).isEqualTo(1);
    assertThat(pending.poll().claimId()).isEqualTo("low");
  }

  @Test
  void shouldServeTenantAgainAfterItsQueueEmptied() {
    park("a1", "A", 0);
    assertThat(pending.poll().claimId()).isEqualTo("a1");
    assertThat(pending.poll()).isNull();

    ParkedClaim again = park("a2", "A", 0);
    ParkedClaim removed = park("a3", "A", 0);
    pending.remove(removed);
    park("a4", "A", 0);

    assertThat(pending.size()).isEqualTo(2);
    assertThat(pending.poll()).isSameAs(again);
    assertThat(pollAll()).containsExactly("a4");
  }

  @Test
  void shouldReturnNullWhenNothingWaits() {
    assertThat(pending.poll()).isNull();
    assertThat(pending.size()).isZero();
  }

  @Test
  void shouldTrackTheHeaviestTenantThroughPollsAndRemovals() {
    ParkedClaim a1 = park("a1", "A", 0);
    park("a2", "A", 1);
    ParkedClaim a3 = park("a3", "A", 0);
    park("b1", "B", 0);
    assertThat(pending.maxWaitingOfATenant()).isEqualTo(3);
    assertThat(pending.waitingOf("A")).isEqualTo(3);

    // A's last-served claim: its lowest priority class, newest in it.
    assertThat(pending.displaceableFor("C", 0)).isSameAs(a3);
    assertThat(pending.displaceableFor("B", 0)).isSameAs(a3); // B 1 + 1 < 3
    assertThat(pending.displaceableFor("C", -1)).isNull(); // never a higher priority
    pending.remove(a3);
    assertThat(pending.maxWaitingOfATenant()).isEqualTo(2);
    assertThat(pending.displaceableFor("B", 0)).isNull(); // 1 + 1 ties A's 2
    assertThat(pending.displaceableFor("C", 0)).isSameAs(a1); // a3 dead at the tail: skipped

    assertThat(pending.poll().claimId()).isEqualTo("a2");
    assertThat(pending.maxWaitingOfATenant()).isEqualTo(1);
    assertThat(pollAll()).containsExactly("a1", "b1");
    assertThat(pending.maxWaitingOfATenant()).isZero();
    assertThat(pending.waitingOf("A")).isZero();
    assertThat(pending.displaceableFor("C", 0)).isNull();
  }
}
