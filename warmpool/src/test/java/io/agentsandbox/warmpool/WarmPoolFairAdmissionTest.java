package io.agentsandbox.warmpool;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.RejectReason;
import io.agentsandbox.core.testing.ClaimFixtures;
import io.agentsandbox.core.testing.ManualClock;
import io.agentsandbox.core.testing.RecordingMetrics;
import io.agentsandbox.core.testing.RecordingTicket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Fair admission: a full waiting room is shared max-min fairly among tenants. A newcomer whose
 * tenant (counting it) has fewer waiting claims than the heaviest tenant takes the place of that
 * tenant's newest waiting claim, which is answered {@code overloaded}. Manual clock; the backend
 * answers creates only when the test says so.
 */
class WarmPoolFairAdmissionTest {

  private static final List<String> ADDRESSES = List.of("10.0.0.7");

  private final ManualClock clock = new ManualClock();
  private final RecordingPoolActions actions = new RecordingPoolActions();
  private final RecordingMetrics.Pool metrics = new RecordingMetrics.Pool();

  private long now() {
    return clock.nanoTime();
  }

  /** A pool whose room is its cap of {@code room} waiting claims (the modelled bound off). */
  private WarmPool pool(int room) {
    WarmPool pool =
        new WarmPool(
            ClaimFixtures.pool(0),
            WarmPoolPolicy.DEFAULTS.withAdmission(0, room),
            actions,
            metrics,
            "fake",
            7L);
    pool.onTick(now());
    return pool;
  }

  private RecordingTicket claim(WarmPool pool, String tenant, int priority) {
    RecordingTicket t =
        ClaimFixtures.claim().tenant(tenant).priority(priority).waitMs(60_000).at(now()).ticket();
    pool.tryAssign(t, now());
    return t;
  }

  private static void assertOverloaded(RecordingTicket t) {
    assertThat(t.completions()).isEqualTo(1);
    assertThat(t.rejected().reason()).isEqualTo(RejectReason.OVERLOADED);
    assertThat(t.rejected().retryAfterMs()).isPositive();
  }

  @Test
  void shouldAdmitALighterTenantByRefusingTheNewestClaimOfTheHeaviest() {
    WarmPool pool = pool(4);
    List<RecordingTicket> a = new ArrayList<>();
    for (int i = 0; i < 4; i++) a.add(claim(pool, "A", 0));
    assertThat(a).noneMatch(RecordingTicket::isAnswered);

    RecordingTicket b = claim(pool, "B", 0);

    assertThat(b.isAnswered()).isFalse();
    assertOverloaded(a.get(3));
    assertThat(a.get(3).rejected().message()).contains("tenant 'A'").doesNotContain("'B'");
    assertThat(a.subList(0, 3)).noneMatch(RecordingTicket::isAnswered);
    assertThat(pool.pendingCount()).isEqualTo(4);
    assertThat(pool.findClaim(a.get(3).request().claimId())).isNull();
    assertThat(pool.findClaim(b.request().claimId())).isNotNull();
    assertThat(actions.endedClaims).containsExactly(a.get(3).request().claimId());
    assertThat(metrics.rejected(RejectReason.OVERLOADED)).isEqualTo(1);

    // A second newcomer of another tenant: A (3) is still the heaviest and gives way again.
    RecordingTicket c = claim(pool, "C", 0);
    assertThat(c.isAnswered()).isFalse();
    assertOverloaded(a.get(2));
    // Now A 2, B 1, C 1: A retrying is refused, and so is B's second claim (it would tie A).
    RecordingTicket aAgain = claim(pool, "A", 0);
    RecordingTicket b2 = claim(pool, "B", 0);
    assertOverloaded(aAgain);
    assertOverloaded(b2);
    assertThat(a.subList(0, 2)).noneMatch(RecordingTicket::isAnswered);
    assertThat(metrics.rejected(RejectReason.OVERLOADED)).isEqualTo(4);
    assertThat(pool.pendingCount()).isEqualTo(4);
  }

  @Test
  void shouldRefuseTheNewcomerOnATie() {
    WarmPool pool = pool(2);
    RecordingTicket a1 = claim(pool, "A", 0);
    RecordingTicket b1 = claim(pool, "B", 0);

    RecordingTicket c1 = claim(pool, "C", 0);
    assertOverloaded(c1);

    // A 2 vs B 1 would only swap places: refused, nobody displaced.
    WarmPool room3 = pool(3);
    RecordingTicket x1 = claim(room3, "A", 0);
    RecordingTicket x2 = claim(room3, "A", 0);
    RecordingTicket y1 = claim(room3, "B", 0);
    RecordingTicket y2 = claim(room3, "B", 0);
    assertOverloaded(y2);
    assertThat(List.of(a1, b1, x1, x2, y1)).noneMatch(RecordingTicket::isAnswered);
  }

  @Test
  void shouldNeverDisplaceAHigherPriorityWaiter() {
    WarmPool pool = pool(3);
    List<RecordingTicket> high =
        List.of(claim(pool, "A", 5), claim(pool, "A", 5), claim(pool, "A", 5));

    RecordingTicket low = claim(pool, "B", 0);
    assertOverloaded(low);
    assertThat(high).noneMatch(RecordingTicket::isAnswered);

    // The same priority, or higher, may take a place.
    RecordingTicket same = claim(pool, "B", 5);
    assertThat(same.isAnswered()).isFalse();
    assertOverloaded(high.get(2));
  }

  @Test
  void shouldDisplaceTheHeaviestTenantsLowestPriorityClaimFirst() {
    WarmPool pool = pool(4);
    RecordingTicket aLowOld = claim(pool, "A", 0);
    RecordingTicket aLowNew = claim(pool, "A", 0);
    RecordingTicket aHigh = claim(pool, "A", 9);
    RecordingTicket aMid = claim(pool, "A", 3);

    RecordingTicket b = claim(pool, "B", 9);

    assertThat(b.isAnswered()).isFalse();
    assertOverloaded(aLowNew);
    assertThat(List.of(aLowOld, aHigh, aMid)).noneMatch(RecordingTicket::isAnswered);
  }

  @Test
  void shouldAnswerADisplacedClaimOnceAndNeverBindIt() {
    WarmPool pool = pool(3);
    RecordingTicket a1 = claim(pool, "A", 0);
    RecordingTicket a2 = claim(pool, "A", 0);
    RecordingTicket a3 = claim(pool, "A", 0);
    RecordingTicket b = claim(pool, "B", 0);
    assertOverloaded(a3);

    // Every sandbox becomes ready, then time runs past every deadline, then the claim is released.
    for (String name : actions.takeCreates()) pool.onSandboxReady(name, ADDRESSES, now());
    clock.advanceMs(120_000);
    pool.onTick(now());
    assertThat(pool.release(a3.request().claimId(), now()))
        .isEqualTo(WarmPool.ReleaseResult.UNKNOWN);

    assertOverloaded(a3);
    for (RecordingTicket t : List.of(a1, a2, b)) {
      assertThat(t.completions()).isEqualTo(1);
      assertThat(t.outcome()).isInstanceOf(ClaimOutcome.Assigned.class);
    }
    assertThat(metrics.rejected(RejectReason.DEADLINE)).isZero();
    assertThat(pool.claimedCount()).isEqualTo(3);
  }

  @Test
  void shouldDisplaceUnderTheModelledBoundToo() {
    // Lead time seeded, 4 starting at most, bound 1 s: a fixed modelled room.
    WarmPoolPolicy policy =
        WarmPoolPolicy.DEFAULTS
            .withMaxStarting(4)
            .withAdmission(TimeUnit.SECONDS.toNanos(1), 10_000);
    WarmPool pool = new WarmPool(ClaimFixtures.pool(0), policy, actions, metrics, "fake", 7L);
    pool.onTick(now());
    List<RecordingTicket> a = new ArrayList<>();
    RecordingTicket t;
    while (!(t = claim(pool, "A", 0)).isAnswered()) a.add(t);
    assertOverloaded(t);
    int room = pool.pendingCount();
    assertThat(room).isEqualTo(a.size()).isGreaterThan(2);

    RecordingTicket b = claim(pool, "B", 0);

    assertThat(b.isAnswered()).isFalse();
    assertOverloaded(a.get(a.size() - 1));
    assertThat(pool.pendingCount()).isEqualTo(room);
  }

  @Test
  void shouldKeepTheRoomWithinItsCapacityAndEveryClaimAnsweredOnceUnderARandomMix() {
    int room = 12;
    WarmPool pool = pool(room);
    SplittableRandom random = new SplittableRandom(42);
    List<RecordingTicket> all = new ArrayList<>();
    for (int step = 0; step < 2_000; step++) {
      int roll = random.nextInt(10);
      if (roll < 7) {
        String tenant = random.nextInt(3) == 0 ? "flood" : "t" + random.nextInt(5);
        all.add(claim(pool, tenant, random.nextInt(3)));
      } else if (roll < 9) {
        List<String> creates = actions.takeCreates();
        if (!creates.isEmpty()) pool.onSandboxReady(creates.get(0), ADDRESSES, now());
      } else {
        clock.advanceMs(random.nextInt(5_000));
        pool.onTick(now());
      }
      assertThat(pool.pendingCount()).isLessThanOrEqualTo(room);
      // Nothing is left waiting unanswered outside the pool, nor answered while still in it.
      assertThat(waitingByTenant(all).values().stream().mapToInt(Integer::intValue).sum())
          .isEqualTo(pool.pendingCount());
    }
    for (RecordingTicket t : all) assertThat(t.completions()).isLessThanOrEqualTo(1);
    clock.advanceMs(120_000);
    pool.onTick(now());
    for (RecordingTicket t : all) assertThat(t.completions()).isEqualTo(1);
    assertThat(all)
        .anyMatch(
            t ->
                t.outcome() instanceof ClaimOutcome.Rejected r
                    && r.reason() == RejectReason.OVERLOADED
                    && r.message().contains("gave way"));
  }

  private static Map<String, Integer> waitingByTenant(List<RecordingTicket> all) {
    Map<String, Integer> out = new HashMap<>();
    for (RecordingTicket t : all)
      if (!t.isAnswered()) out.merge(t.request().tenant(), 1, Integer::sum);
    return out;
  }
}
