package io.agentsandbox.warmpool;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.Autoscale;
import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.testing.ClaimFixtures;
import io.agentsandbox.core.testing.ManualClock;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TargetControllerTest {

  private final ManualClock clock = new ManualClock();

  private static PoolSpec spec(int replicas, Autoscale autoscale) {
    return new PoolSpec(
        ClaimFixtures.POOL, ClaimFixtures.blueprint(RuntimeClass.GVISOR), replicas, 0, autoscale);
  }

  @Test
  void shouldFollowReplicasWithoutAutoscale() {
    TargetController c = new TargetController(SizingPolicy.DEFAULTS, spec(3, null));
    for (int i = 0; i < 1_000; i++) c.onArrival(clock.advanceMs(1));
    c.update(spec(5, null), clock.nanoTime());
    assertThat(c.target()).isEqualTo(5);
    assertThat(c.reason()).isEqualTo(TargetReason.STATIC_REPLICAS);
  }

  @Test
  void shouldRaiseAtOnceWithDemandAndClampToMax() {
    PoolSpec spec = spec(2, new Autoscale(2, 20, 0.99));
    TargetController c = new TargetController(SizingPolicy.DEFAULTS, spec);
    c.update(spec, clock.nanoTime());
    assertThat(c.target()).isEqualTo(2);
    assertThat(c.reason()).isEqualTo(TargetReason.MIN_REPLICAS);
    for (int i = 0; i < 10_000; i++) c.onArrival(clock.advanceMs(1)); // 1000/s, gVisor 150 ms
    c.update(spec, clock.nanoTime());
    assertThat(c.target()).isEqualTo(20);
    assertThat(c.reason()).isEqualTo(TargetReason.MAX_REPLICAS);
  }

  @Test
  void shouldLowerSlowlyOnlyAfterTheDelayOneStepPerPeriod() {
    PoolSpec spec = spec(2, new Autoscale(1, 1_000, 0.99));
    TargetController c = new TargetController(SizingPolicy.DEFAULTS, spec);
    for (int i = 0; i < 10_000; i++) c.onArrival(clock.advanceMs(1));
    c.update(spec, clock.nanoTime());
    int peak = c.target();
    assertThat(peak).isGreaterThan(100);

    clock.advance(30, TimeUnit.SECONDS); // demand gone, but within the scale-down delay
    c.update(spec, clock.nanoTime());
    assertThat(c.target()).isEqualTo(peak);
    assertThat(c.reason()).isEqualTo(TargetReason.SCALING_DOWN_SLOWLY);

    clock.advance(100, TimeUnit.SECONDS); // past the delay: one tenth down
    c.update(spec, clock.nanoTime());
    int first = c.target();
    assertThat(first).isEqualTo(peak - peak / 10);
    c.update(spec, clock.advanceMs(1)); // within the step period: held
    assertThat(c.target()).isEqualTo(first);
    c.update(spec, clock.advance(10, TimeUnit.SECONDS));
    assertThat(c.target()).isLessThan(first);
  }

  @Test
  void shouldLearnLeadTimeAndPublishDemandSnapshot() {
    TargetController c = new TargetController(SizingPolicy.DEFAULTS, spec(1, null));
    assertThat(c.leadTimeP90Ns()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(150)); // gVisor seed
    for (int i = 0; i < 100; i++) c.onLeadTimeObserved(TimeUnit.SECONDS.toNanos(2));
    assertThat(c.leadTimeP90Ns()).isEqualTo(TimeUnit.SECONDS.toNanos(2));
    c.onArrival(clock.nanoTime());
    assertThat(c.publishedDemandPerSecond()).isZero();
    c.snapshotDemand(clock.nanoTime());
    assertThat(c.publishedDemandPerSecond()).isEqualTo(c.demandPerSecond(clock.nanoTime()));
    assertThat(c.publishedDemandPerSecond()).isPositive();
  }
}
