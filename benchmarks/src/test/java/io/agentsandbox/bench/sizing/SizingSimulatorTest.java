package io.agentsandbox.bench.sizing;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.Autoscale;
import io.agentsandbox.warmpool.TargetRule;
import org.junit.jupiter.api.Test;

/**
 * The sizing goals (hit rate, idle sandboxes), checked in simulated time (deterministic for the
 * seed; no wall clock).
 */
class SizingSimulatorTest {

  private static final SizingSimulator.Runtime GVISOR = SizingEvaluation.RUNTIMES.get(0);

  @Test
  void shouldReachNinetyNinePercentWarmHitsOnPoissonWithLittleIdle() {
    Trace trace = Trace.steady(50, 300);
    int initial = TargetRule.poissonQuantile(50 * GVISOR.p90S(), 0.99);
    SizingSimulator.Result r =
        SizingSimulator.run("auto", trace, GVISOR, initial, new Autoscale(0, 10_000, 0.99), 7, 1);
    assertThat(r.hitRatio()).isGreaterThanOrEqualTo(0.99);
    assertThat(r.meanIdle()).isLessThanOrEqualTo(1.5 * 50 * GVISOR.p90S());
  }

  @Test
  void shouldBeatAStaticPoolOfEqualMeanIdleOnABurst() {
    SizingEvaluation eval = new SizingEvaluation();
    eval.confidence = 0.99;
    eval.seed = 7;
    var rows = eval.evaluate(Trace.burst(20, 10, 200, 60, 600), GVISOR);
    SizingSimulator.Result auto = rows.get(0).result();
    SizingSimulator.Result sameMean = rows.get(1).result();
    assertThat(sameMean.meanIdle()).isLessThanOrEqualTo(auto.meanIdle());
    assertThat(auto.hits()).isGreaterThan(sameMean.hits());
  }
}
