package io.agentsandbox.scheduler.logging;

import io.agentsandbox.core.logging.LogBudget;
import org.slf4j.Logger;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * Shared parts of the structured log lines: the replica's name, durations in milliseconds, and the
 * gate that checks the level, then the category's {@link LogBudget}, and reports dropped lines.
 * Stateless.
 */
final class Lines {

  /** This replica: env {@code POD_NAME}, else {@code HOSTNAME}, else {@code local}. */
  static final String REPLICA = replica();

  private Lines() {}

  /**
   * An INFO line of {@code log} if the level allows it and the budget has room; null otherwise
   * (nothing allocated). Reports the lines the budget dropped since the last one let through.
   */
  static LoggingEventBuilder info(Logger log, LogBudget budget) {
    if (!log.isInfoEnabled()) return null;
    if (!budget.tryAcquire()) return null;
    long dropped = budget.takeDropped();
    if (dropped > 0) {
      log.atWarn()
          .setMessage("log lines dropped")
          .addKeyValue("category", budget.category())
          .addKeyValue("dropped", dropped)
          .addKeyValue("limit_per_second", budget.limitPerSecond())
          .log();
    }
    return log.atInfo();
  }

  /** Adds {@code key=value} unless the value is null. */
  static LoggingEventBuilder kv(LoggingEventBuilder b, String key, Object value) {
    return value == null ? b : b.addKeyValue(key, value);
  }

  /** Nanoseconds as milliseconds with microsecond resolution. */
  static double ms(long ns) {
    return Math.round(ns / 1_000.0) / 1_000.0;
  }

  private static String replica() {
    String pod = System.getenv("POD_NAME");
    if (pod != null && !pod.isBlank()) return pod;
    String host = System.getenv("HOSTNAME");
    return host != null && !host.isBlank() ? host : "local";
  }
}
