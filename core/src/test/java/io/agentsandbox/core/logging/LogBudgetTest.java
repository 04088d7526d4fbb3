package io.agentsandbox.core.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentsandbox.core.testing.ManualClock;
import org.junit.jupiter.api.Test;

class LogBudgetTest {

  private final ManualClock clock = new ManualClock(5_000_000_000L);

  @Test
  void shouldLetTheLimitThroughEachSecondAndCountTheRest() {
    LogBudget budget = new LogBudget("claims", 3, clock);
    int passed = 0;
    for (int i = 0; i < 10; i++) if (budget.tryAcquire()) passed++;
    assertThat(passed).isEqualTo(3);
    assertThat(budget.droppedTotal()).isEqualTo(7);
    assertThat(budget.takeDropped()).isEqualTo(7);
    assertThat(budget.takeDropped()).as("reported once").isZero();

    clock.advanceMs(999); // still the same second of the clock
    assertThat(budget.tryAcquire()).isFalse();
    clock.advanceMs(1);
    assertThat(budget.tryAcquire()).isTrue();
    assertThat(budget.tryAcquire()).isTrue();
    assertThat(budget.tryAcquire()).isTrue();
    assertThat(budget.tryAcquire()).isFalse();
    assertThat(budget.droppedTotal()).isEqualTo(9);
    assertThat(budget.takeDropped()).isEqualTo(2);
  }

  @Test
  void shouldLetEverythingThroughWhenUnlimited() {
    LogBudget budget = new LogBudget("audit", 0, clock);
    for (int i = 0; i < 100_000; i++) assertThat(budget.tryAcquire()).isTrue();
    assertThat(budget.droppedTotal()).isZero();
  }

  @Test
  void shouldRefuseANegativeLimit() {
    assertThatThrownBy(() -> new LogBudget("x", -1, clock))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("limitPerSecond");
    assertThatThrownBy(() -> LogBudget.limitAll(-5)).hasMessageContaining("limit must be >= 0");
  }

  @Test
  void shouldSetTheLimitOfEveryNamedBudget() {
    LogBudget a = LogBudget.named("test-a");
    LogBudget.limitAll(7);
    try {
      assertThat(a.limitPerSecond()).isEqualTo(7);
      assertThat(LogBudget.named("test-b").limitPerSecond()).isEqualTo(7);
      assertThat(LogBudget.named("test-a")).isSameAs(a);
      assertThat(LogBudget.all()).contains(a);
    } finally {
      LogBudget.limitAll(LogBudget.DEFAULT_LIMIT_PER_SECOND);
    }
  }
}
