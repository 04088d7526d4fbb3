package io.agentsandbox.warmpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.agentsandbox.core.model.Autoscale;
import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.testing.ClaimFixtures;
import io.agentsandbox.core.testing.ManualClock;
import io.agentsandbox.core.testing.RecordingMetrics;
import io.agentsandbox.core.testing.RecordingTicket;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The demand estimator, the lead-time estimator, the target rule and the pool's sizing, on a manual
 * clock.
 */
class SizingTest {

  private final ManualClock clock = new ManualClock();
  private final RecordingPoolActions actions = new RecordingPoolActions();

  // ---------------------------------------------------------------- estimators

  @Test
  void shouldEstimateSteadyPoissonRate() {
    DemandEstimator d =
        new DemandEstimator(TimeUnit.SECONDS.toNanos(5), TimeUnit.SECONDS.toNanos(120));
    SplittableRandom random = new SplittableRandom(1);
    long now = clock.nanoTime();
    for (int i = 0; i < 100_000; i++) { // 100/s for ~1000 s
      now += (long) (-Math.log(1 - random.nextDouble()) * 10_000_000L);
      d.onArrival(now);
    }
    assertThat(d.longRatePerSecond(now)).isCloseTo(100, within(10.0));
    assertThat(d.shortRatePerSecond(now)).isCloseTo(100, within(30.0));
  }

  @Test
  void shouldSeeBurstAtOnceAndNotOverTrustLull() {
    DemandEstimator d =
        new DemandEstimator(TimeUnit.SECONDS.toNanos(5), TimeUnit.SECONDS.toNanos(120));
    long now = clock.nanoTime();
    for (int i = 0; i < 1_200; i++) d.onArrival(now += 100_000_000L); // 10/s for 120 s
    double before = d.ratePerSecond(now);
    for (int i = 0; i < 200; i++) d.onArrival(now += 10_000_000L); // 100/s for 2 s
    assertThat(d.shortRatePerSecond(now)).isGreaterThan(3 * before);
    assertThat(d.ratePerSecond(now)).isEqualTo(d.shortRatePerSecond(now));
    now += TimeUnit.SECONDS.toNanos(30); // a lull: the short window forgets, the long one remembers
    assertThat(d.shortRatePerSecond(now)).isLessThan(1);
    assertThat(d.ratePerSecond(now)).isGreaterThan(5);
  }

  @Test
  void shouldUseSeedUntilEnoughObservationsThenP90() {
    LeadTimeEstimator l = new LeadTimeEstimator(150_000_000L);
    for (int i = 0; i < 7; i++) l.onObserved(1_000_000L);
    assertThat(l.p90Ns()).isEqualTo(150_000_000L);
    for (int i = 1; i <= 100; i++) l.onObserved(i * 1_000_000L); // keeps the last 64: 37..100 ms
    assertThat(l.p90Ns()).isEqualTo(94_000_000L);
  }

  @Test
  void shouldComputePoissonQuantiles() {
    assertThat(TargetRule.poissonQuantile(0, 0.99)).isZero();
    assertThat(TargetRule.poissonQuantile(1, 0.99)).isEqualTo(4);
    assertThat(TargetRule.poissonQuantile(10, 0.99)).isEqualTo(18);
    assertThat(TargetRule.poissonQuantile(10, 0.5)).isEqualTo(10);
    assertThat(TargetRule.poissonQuantile(1000, 0.99)).isBetween(1072, 1075);
  }

  // ---------------------------------------------------------------- the pool's target

  private WarmPool autoscaled(int replicas, Autoscale autoscale, CreationGate gate) {
    PoolSpec spec =
        new PoolSpec(
            ClaimFixtures.POOL,
            ClaimFixtures.blueprint(RuntimeClass.GVISOR),
            replicas,
            0,
            autoscale);
    return new WarmPool(
        spec,
        WarmPoolPolicy.DEFAULTS,
        SizingPolicy.DEFAULTS,
        gate,
        actions,
        new RecordingMetrics.Pool(),
        "fake",
        3);
  }

  private void readyAll(WarmPool pool) {
    for (String name : actions.takeCreates())
      pool.onSandboxReady(name, List.of("10.0.0.1"), clock.nanoTime());
  }

  @Test
  void shouldKeepReplicasAsTargetWithoutAutoscale() {
    WarmPool pool = autoscaled(7, null, CreationGate.UNLIMITED);
    pool.onTick(clock.nanoTime());
    assertThat(pool.target()).isEqualTo(7);
    assertThat(pool.targetReason()).isEqualTo(TargetReason.STATIC_REPLICAS);
  }

  @Test
  void shouldRaiseTargetWithDemandAndLowerItSlowly() {
    WarmPool pool = autoscaled(2, new Autoscale(2, 500, 0.99), CreationGate.UNLIMITED);
    pool.onTick(clock.nanoTime());
    readyAll(pool);
    assertThat(pool.target()).isEqualTo(2);
    // 100 claims/s for 10 s, each released at once; lead time is the gVisor seed (150 ms): mean 15.
    // Sandboxes take 150 ms to start.
    java.util.ArrayDeque<long[]> due = new java.util.ArrayDeque<>();
    java.util.ArrayDeque<String> names = new java.util.ArrayDeque<>();
    for (int i = 0; i < 1_000; i++) {
      clock.advanceMs(10);
      RecordingTicket t = ClaimFixtures.claim().at(clock.nanoTime()).ticket();
      pool.tryAssign(t, clock.nanoTime());
      for (String n : actions.takeCreates()) {
        names.add(n);
        due.add(new long[] {clock.nanoTime() + 150_000_000L});
      }
      while (!due.isEmpty() && due.peek()[0] <= clock.nanoTime()) {
        due.poll();
        pool.onSandboxReady(names.poll(), List.of("10.0.0.1"), clock.nanoTime());
      }
      if (t.outcome() instanceof io.agentsandbox.core.model.ClaimOutcome.Assigned a)
        pool.release(a.claimId(), clock.nanoTime());
    }
    int busy = pool.target();
    assertThat(busy).isBetween(20, 40);
    assertThat(pool.targetReason()).isEqualTo(TargetReason.DEMAND);
    // Demand stops: nothing is lowered during the delay (2 min), then a tenth per step (10 s).
    pool.onTick(clock.advanceMs(100_000));
    assertThat(pool.target()).isEqualTo(busy);
    assertThat(pool.targetReason()).isEqualTo(TargetReason.SCALING_DOWN_SLOWLY);
    pool.onTick(clock.advanceMs(21_000));
    int first = busy - Math.max(1, busy / 10);
    assertThat(pool.target()).isEqualTo(first);
    pool.onTick(clock.advanceMs(5_000));
    assertThat(pool.target()).isEqualTo(first);
    pool.onTick(clock.advanceMs(5_000));
    assertThat(pool.target()).isEqualTo(first - Math.max(1, first / 10));
    for (int i = 0; i < 200; i++) pool.onTick(clock.advanceMs(10_000));
    // The long window still remembers a little demand for a while; finally the minimum holds.
    assertThat(pool.target()).isEqualTo(2);
  }

  @Test
  void shouldClampTargetToMax() {
    WarmPool pool = autoscaled(0, new Autoscale(0, 5, 0.99), CreationGate.UNLIMITED);
    for (int i = 0; i < 500; i++) {
      pool.tryAssign(
          ClaimFixtures.claim()
              .onEmpty(io.agentsandbox.core.model.OnEmpty.REJECT)
              .at(clock.nanoTime())
              .ticket(),
          clock.nanoTime());
      clock.advanceMs(1);
    }
    pool.onTick(clock.nanoTime());
    assertThat(pool.target()).isEqualTo(5);
    assertThat(pool.targetReason()).isEqualTo(TargetReason.MAX_REPLICAS);
  }

  @Test
  void shouldCreateOnlyWhatTheGateAllowsAndReleasePermits() {
    int[] permits = {3};
    int[] released = {0};
    CreationGate gate =
        new CreationGate() {
          @Override
          public int tryAcquire(RuntimeClass rc, int wanted, int poolStarting, long nowNs) {
            int n = Math.min(wanted, permits[0]);
            permits[0] -= n;
            return n;
          }

          @Override
          public void release(RuntimeClass rc) {
            released[0]++;
            permits[0]++;
          }
        };
    WarmPool pool = autoscaled(10, null, gate);
    pool.onTick(clock.nanoTime());
    assertThat(actions.creates).hasSize(3);
    readyAll(pool);
    assertThat(released[0]).isEqualTo(3);
    assertThat(actions.creates).hasSize(6); // the freed permits were used at once
  }
}
