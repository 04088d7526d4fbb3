package io.agentsandbox.warmpool;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.testing.ManualClock;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ReplenishPlannerTest {

  private final ManualClock clock = new ManualClock();
  private final WarmPoolPolicy policy =
      new WarmPoolPolicy(
          TimeUnit.MINUTES.toNanos(5),
          4,
          1_000,
          1_000,
          TimeUnit.MILLISECONDS.toNanos(100),
          TimeUnit.SECONDS.toNanos(1),
          WarmPoolPolicy.DEFAULTS.maxAdmittedWaitNs(),
          WarmPoolPolicy.DEFAULTS.maxWaitingPerPool());
  private final ReplenishPlanner planner = new ReplenishPlanner(policy);

  @Test
  void shouldStartTheShortfallUpToMaxStarting() {
    assertThat(planner.plan(3, 0, 0, 0, clock.nanoTime())).isEqualTo(3);
    assertThat(planner.plan(10, 1, 1, 1, clock.nanoTime())).isEqualTo(3);
    assertThat(planner.plan(10, 0, 0, 4, clock.nanoTime())).isZero();
    assertThat(planner.plan(10, 0, 0, 6, clock.nanoTime())).isZero();
  }

  @Test
  void shouldCountStartingPoolMembersAsStock() {
    assertThat(planner.plan(3, 1, 2, 2, clock.nanoTime())).isZero();
  }

  @Test
  void shouldTrimSurplusFromReadyMembersOnly() {
    assertThat(planner.plan(1, 3, 0, 0, clock.nanoTime())).isEqualTo(-2);
    assertThat(planner.plan(0, 1, 3, 3, clock.nanoTime())).isEqualTo(-1);
  }

  @Test
  void shouldBackOffExponentiallyThenProbeOneAtATime() {
    planner.onCreateFailed(clock.nanoTime());
    assertThat(planner.inBackoff()).isTrue();
    assertThat(planner.plan(3, 0, 0, 0, clock.advanceMs(99))).isZero();
    assertThat(planner.plan(3, 0, 0, 0, clock.advanceMs(1))).isEqualTo(1); // 100 ms: one probe
    planner.onCreatesStarted(1, clock.nanoTime());
    // Until the probe answers, no other create (the wait is the maximum).
    assertThat(planner.plan(3, 0, 1, 1, clock.advanceMs(999))).isZero();

    planner.onCreateFailed(clock.nanoTime()); // second failure: 200 ms
    assertThat(planner.plan(3, 0, 0, 0, clock.advanceMs(199))).isZero();
    assertThat(planner.plan(3, 0, 0, 0, clock.advanceMs(1))).isEqualTo(1);

    planner.onReady();
    assertThat(planner.inBackoff()).isFalse();
    assertThat(planner.plan(3, 0, 0, 0, clock.nanoTime())).isEqualTo(3);
  }

  @Test
  void shouldCapTheBackoffAtItsMaximum() {
    for (int i = 0; i < 40; i++) planner.onCreateFailed(clock.nanoTime());
    assertThat(planner.plan(1, 0, 0, 0, clock.advanceMs(999))).isZero();
    assertThat(planner.plan(1, 0, 0, 0, clock.advanceMs(1))).isEqualTo(1);
  }

  @Test
  void shouldKeepBackoffAfterOutsideDeleteOnlyWhileStartsFail() {
    planner.onDeletedOutside();
    assertThat(planner.inBackoff()).isFalse();
    planner.onCreateFailed(clock.nanoTime());
    planner.onDeletedOutside();
    assertThat(planner.inBackoff()).isTrue();
  }
}
