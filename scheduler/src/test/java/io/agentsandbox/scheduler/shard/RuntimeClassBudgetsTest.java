package io.agentsandbox.scheduler.shard;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.RuntimeClass;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RuntimeClassBudgetsTest {

  private static final RuntimeClass KATA = RuntimeClass.of("kata-qemu-nvidia-gpu");
  private static final long T0 = 10_000_000_000L;

  private final RuntimeClassBudgets budgets =
      new RuntimeClassBudgets(
          Map.of("gvisor", 8, "kata", 2, "*", 4),
          Map.of("gvisor", 1_000.0, "kata", 4.0, "*", 100.0));

  @Test
  void shouldCapStartingPerRuntimeClass() {
    budgets.registerPool(RuntimeClass.GVISOR);
    assertThat(budgets.tryAcquire(RuntimeClass.GVISOR, 20, 0, T0)).isEqualTo(8);
    assertThat(budgets.tryAcquire(RuntimeClass.GVISOR, 1, 8, T0 + 1_000_000_000L)).isZero();
    budgets.release(RuntimeClass.GVISOR);
    assertThat(budgets.tryAcquire(RuntimeClass.GVISOR, 5, 7, T0 + 1_000_000_000L)).isEqualTo(1);
  }

  @Test
  void shouldKeepKataAndGvisorBudgetsApart() {
    budgets.registerPool(RuntimeClass.GVISOR);
    budgets.registerPool(KATA);
    assertThat(budgets.tryAcquire(KATA, 10, 0, T0)).isEqualTo(2);
    assertThat(budgets.tryAcquire(RuntimeClass.GVISOR, 10, 0, T0)).isEqualTo(8);
  }

  @Test
  void shouldRateLimitCreates() {
    budgets.registerPool(KATA);
    budgets.registerPool(KATA);
    // 4/s with a one-second bucket; concurrency 2 shared by two pools: 1 each.
    assertThat(budgets.tryAcquire(KATA, 5, 0, T0)).isEqualTo(1);
    assertThat(budgets.tryAcquire(KATA, 5, 1, T0)).isZero(); // its fair share is used
    assertThat(budgets.tryAcquire(KATA, 5, 0, T0)).isEqualTo(1); // the other pool's share
    budgets.release(KATA);
    budgets.release(KATA);
    assertThat(budgets.tryAcquire(KATA, 1, 0, T0)).isEqualTo(1);
    budgets.release(KATA);
    assertThat(budgets.tryAcquire(KATA, 1, 0, T0)).isEqualTo(1); // 4th token of the second
    budgets.release(KATA);
    assertThat(budgets.tryAcquire(KATA, 1, 0, T0)).isZero(); // bucket empty
    assertThat(budgets.tryAcquire(KATA, 1, 0, T0 + 250_000_000L)).isEqualTo(1); // refilled one
  }

  @Test
  void shouldShareConcurrencyFairlyAmongPoolsOfAClass() {
    for (int i = 0; i < 4; i++) budgets.registerPool(RuntimeClass.GVISOR);
    assertThat(budgets.tryAcquire(RuntimeClass.GVISOR, 100, 0, T0)).isEqualTo(2);
    assertThat(budgets.tryAcquire(RuntimeClass.GVISOR, 100, 2, T0)).isZero();
    assertThat(budgets.tryAcquire(RuntimeClass.GVISOR, 100, 0, T0)).isEqualTo(2);
  }

  @Test
  void shouldEstimateEachPoolsCreationThroughputFromItsShareAndTheLeadTime() {
    budgets.registerPool(RuntimeClass.GVISOR);
    // One pool: 8 at once over 0.5 s = 16/s, under the 1,000/s rate.
    assertThat(budgets.throughputPerSecond(RuntimeClass.GVISOR, 500_000_000L)).isEqualTo(16.0);
    budgets.registerPool(KATA);
    budgets.registerPool(KATA);
    // Kata, two pools: share 1 at once over 0.1 s = 10/s, but the 4/s rate halves to 2/s each.
    assertThat(budgets.throughputPerSecond(KATA, 100_000_000L)).isEqualTo(2.0);
  }
}
