package io.agentsandbox.warmpool;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.OnEmpty;
import io.agentsandbox.core.model.RejectReason;
import io.agentsandbox.core.testing.ClaimFixtures;
import io.agentsandbox.core.testing.ManualClock;
import io.agentsandbox.core.testing.RecordingMetrics;
import io.agentsandbox.core.testing.RecordingTicket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Admission of waiting claims: a claim may wait on an empty pool only while the queue ahead of it
 * can drain within the bound (starting members plus creation throughput times the bound), and never
 * past the pool's cap. Time is a manual clock; the lead time is learned from sandboxes the test
 * makes ready.
 */
class WarmPoolAdmissionTest {

  private static final List<String> ADDRESSES = List.of("10.0.0.7");
  private static final long ONE_SECOND_NS = TimeUnit.SECONDS.toNanos(1);

  private final ManualClock clock = new ManualClock();
  private final RecordingPoolActions actions = new RecordingPoolActions();
  private final RecordingMetrics.Pool metrics = new RecordingMetrics.Pool();

  private long now() {
    return clock.nanoTime();
  }

  private RecordingTicket claim(WarmPool pool, OnEmpty onEmpty) {
    RecordingTicket t = ClaimFixtures.claim().waitMs(60_000).onEmpty(onEmpty).at(now()).ticket();
    pool.tryAssign(t, now());
    return t;
  }

  /** Makes every outstanding create ready now. */
  private void readyAll(WarmPool pool) {
    for (String name : actions.takeCreates()) pool.onSandboxReady(name, ADDRESSES, now());
  }

  @Test
  void shouldAdmitOnlyWhatStartingMembersAndOneBoundOfCreationCanServe() {
    // 4 starting at most, lead time 1 s (learned below): the pool creates 4 per second.
    WarmPoolPolicy policy =
        WarmPoolPolicy.DEFAULTS.withMaxStarting(4).withAdmission(ONE_SECOND_NS, 1_000);
    WarmPool pool = new WarmPool(ClaimFixtures.pool(0), policy, actions, metrics, "fake", 7L);
    pool.onTick(now());
    // Teach the lead time: 8 claims, served in two rounds of 4 sandboxes that take 1 s each.
    List<RecordingTicket> warmup = new ArrayList<>();
    for (int i = 0; i < 8; i++) warmup.add(claim(pool, OnEmpty.WAIT));
    for (int round = 0; round < 2; round++) {
      clock.advanceMs(1_000);
      readyAll(pool);
    }
    assertThat(warmup).allMatch(t -> t.outcome() instanceof ClaimOutcome.Assigned);
    assertThat(pool.leadTimeP90Ns()).isEqualTo(ONE_SECOND_NS);
    assertThat(pool.creationThroughputPerSecond()).isEqualTo(4.0);

    // Servable within the bound: 4 starting + 4/s x 1 s = 8 waiting claims.
    List<RecordingTicket> admitted = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      RecordingTicket t = claim(pool, OnEmpty.WAIT);
      assertThat(t.isAnswered()).as("claim %d should wait", i).isFalse();
      admitted.add(t);
    }
    assertThat(pool.startingCount()).isEqualTo(4);
    int createsBefore = actions.creates.size();

    RecordingTicket refused = claim(pool, OnEmpty.WAIT);

    assertThat(refused.rejected().reason()).isEqualTo(RejectReason.OVERLOADED);
    // Retry-After: one lead time (1 s) plus the 4 claims beyond the starting members at 4/s (1 s).
    assertThat(refused.rejected().retryAfterMs()).isEqualTo(2_000);
    assertThat(refused.rejected().message())
        .contains("8 claims waiting", "4 starting", "4 per second");
    assertThat(metrics.rejected(RejectReason.OVERLOADED)).isEqualTo(1);
    assertThat(pool.pendingCount()).isEqualTo(8);
    assertThat(actions.creates).hasSize(createsBefore); // a refused claim starts nothing
    assertThat(pool.findClaim(refused.request().claimId())).isNull();

    // A claim that can be answered at once is never refused, and one that asks not to wait gets its
    // own answer.
    assertThat(claim(pool, OnEmpty.REJECT).rejected().reason()).isEqualTo(RejectReason.POOL_EMPTY);

    // The queue drains: after one lead time 4 are served and 4 more start; room for a new waiter
    // again.
    clock.advanceMs(1_000);
    readyAll(pool);
    RecordingTicket later = claim(pool, OnEmpty.WAIT);
    assertThat(later.isAnswered()).isFalse();
    admitted.add(later);
    for (int round = 0;
        round < 3 && !admitted.stream().allMatch(RecordingTicket::isAnswered);
        round++) {
      clock.advanceMs(1_000);
      readyAll(pool);
    }
    // Every admitted claim was served, none waited longer than one lead time plus the bound.
    for (RecordingTicket t : admitted) {
      assertThat(t.outcome()).isInstanceOf(ClaimOutcome.Assigned.class);
      assertThat(t.assigned().waitedNs())
          .isLessThanOrEqualTo(pool.leadTimeP90Ns() + policy.maxAdmittedWaitNs());
    }
  }

  @Test
  void shouldFollowTheCreationGateAndALongerLearnedLeadTime() {
    CreationGate gate =
        new CreationGate() {
          @Override
          public int tryAcquire(
              io.agentsandbox.core.model.RuntimeClass rc,
              int wanted,
              int poolStarting,
              long nowNs) {
            return Math.max(0, Math.min(wanted, 2 - poolStarting)); // 2 starting at most
          }

          @Override
          public void release(io.agentsandbox.core.model.RuntimeClass rc) {}

          @Override
          public double throughputPerSecond(
              io.agentsandbox.core.model.RuntimeClass rc, long leadTimeNs) {
            return 2 * 1e9 / leadTimeNs;
          }
        };
    WarmPoolPolicy policy = WarmPoolPolicy.DEFAULTS.withAdmission(ONE_SECOND_NS, 1_000);
    WarmPool pool =
        new WarmPool(
            ClaimFixtures.pool(0),
            policy,
            SizingPolicy.DEFAULTS,
            gate,
            actions,
            metrics,
            "fake",
            7L);
    pool.onTick(now());
    // Seeded lead time (gVisor, 150 ms): 2 / 0.15 s = 13.3 per second -> waiting < 2 starting +
    // 13.3: 16 admitted.
    int admittedFast = admitUntilRefused(pool);
    assertThat(admittedFast).isEqualTo(16);

    // The backend turns slow: 8 starts observed at 2 s each. Now 2 / 2 s = 1 per second -> 2 + 1 =
    // 3.
    WarmPool slow =
        new WarmPool(
            ClaimFixtures.pool(0),
            policy,
            SizingPolicy.DEFAULTS,
            gate,
            actions,
            metrics,
            "fake",
            8L);
    actions.takeCreates();
    slow.onTick(now());
    for (int i = 0; i < 8; i++) {
      RecordingTicket t = claim(slow, OnEmpty.WAIT);
      assertThat(t.isAnswered()).isFalse();
    }
    while (slow.pendingCount() > 0) {
      clock.advanceMs(2_000);
      readyAll(slow);
    }
    assertThat(slow.leadTimeP90Ns()).isEqualTo(2 * ONE_SECOND_NS);
    assertThat(admitUntilRefused(slow)).isEqualTo(3);
  }

  private int admitUntilRefused(WarmPool pool) {
    for (int i = 0; i < 10_000; i++) {
      RecordingTicket t = claim(pool, OnEmpty.WAIT);
      if (t.isAnswered()) {
        assertThat(t.rejected().reason()).isEqualTo(RejectReason.OVERLOADED);
        return i;
      }
    }
    throw new AssertionError("never refused");
  }

  @Test
  void shouldCapWaitingClaimsPerPoolIncludingColdStartsWhenTheEstimateIsOff() {
    WarmPoolPolicy policy = WarmPoolPolicy.DEFAULTS.withAdmission(0, 3);
    WarmPool pool = new WarmPool(ClaimFixtures.pool(0), policy, actions, metrics, "fake", 7L);
    pool.onTick(now());
    RecordingTicket a = claim(pool, OnEmpty.WAIT);
    RecordingTicket b = claim(pool, OnEmpty.COLD);
    RecordingTicket c = claim(pool, OnEmpty.WAIT);
    assertThat(List.of(a, b, c)).noneMatch(RecordingTicket::isAnswered);

    RecordingTicket d = claim(pool, OnEmpty.COLD);
    RecordingTicket e = claim(pool, OnEmpty.WAIT);

    assertThat(d.rejected().reason()).isEqualTo(RejectReason.OVERLOADED);
    assertThat(e.rejected().reason()).isEqualTo(RejectReason.OVERLOADED);
    assertThat(e.rejected().message()).contains("3 claims waiting (its cap)");
    assertThat(e.rejected().retryAfterMs()).isPositive();
    assertThat(pool.pendingCount()).isEqualTo(3);

    // One is served: room for one more.
    readyAll(pool);
    assertThat(a.isAnswered() && b.isAnswered() && c.isAnswered()).isTrue();
    assertThat(claim(pool, OnEmpty.WAIT).isAnswered()).isFalse();
  }
}
