package io.agentsandbox.scheduler.logging;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.logging.LogBudget;
import io.agentsandbox.core.testing.ManualClock;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/** The gate of every structured line: level, then budget, then the report of dropped lines. */
class LinesTest {

  private static final String NAME = "io.agentsandbox.test.lines";

  @Test
  void shouldDropLinesOverTheBudgetAndReportTheCountWithTheNextOne() {
    ManualClock clock = new ManualClock();
    LogBudget budget = new LogBudget("claims", 2, clock);
    Logger log = LoggerFactory.getLogger(NAME);
    try (LogCapture capture = new LogCapture(NAME)) {
      int built = 0;
      for (int i = 0; i < 5; i++) {
        LoggingEventBuilder b = Lines.info(log, budget);
        if (b == null) continue;
        built++;
        b.setMessage("line").addKeyValue("i", i).log();
      }
      assertThat(built).isEqualTo(2);
      clock.advanceMs(1_000);
      Lines.info(log, budget).setMessage("line").addKeyValue("i", 5).log();

      var lines = capture.lines();
      assertThat(lines).hasSize(4);
      assertThat(lines.get(2).message()).isEqualTo("log lines dropped");
      assertThat(lines.get(2).fields())
          .containsEntry("category", "claims")
          .containsEntry("dropped", 3L)
          .containsEntry("limit_per_second", 2L);
      assertThat(lines.get(3).get("i")).isEqualTo(5);
    }
  }

  @Test
  void shouldNotTouchTheBudgetWhenTheLevelIsOff() {
    LogBudget budget = new LogBudget("claims", 1, new ManualClock());
    Logger log = LoggerFactory.getLogger(NAME + ".off");
    ((ch.qos.logback.classic.Logger) log).setLevel(ch.qos.logback.classic.Level.WARN);
    for (int i = 0; i < 3; i++) assertThat(Lines.info(log, budget)).isNull();
    assertThat(budget.droppedTotal()).isZero();
  }

  @Test
  void shouldShowDurationsInMillisecondsToTheMicrosecond() {
    assertThat(Lines.ms(1_234_567)).isEqualTo(1.235);
    assertThat(Lines.ms(42_000)).isEqualTo(0.042);
    assertThat(Lines.ms(0)).isEqualTo(0.0);
  }
}
