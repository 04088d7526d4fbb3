package io.agentsandbox.scheduler.cli;

import io.agentsandbox.core.logging.LogBudget;
import io.agentsandbox.scheduler.logging.LogSetup;
import picocli.CommandLine.Option;

/** Log format, levels per logger, and the lines-per-second budget of each log category. */
public final class LogOptions {

  @Option(
      names = "--log-format",
      defaultValue = "text",
      description = "text (human-readable) or json (one object per line, for log shippers).")
  String format;

  @Option(
      names = "--log-level",
      defaultValue = "INFO",
      description =
          "Levels: LEVEL for the root logger and/or logger=LEVEL, comma-separated, e.g."
              + " 'INFO,claims=WARN,audit=INFO'. Aliases: claims, audit, sandboxes, conflicts.")
  String levels;

  @Option(
      names = "--log-rate-limit",
      defaultValue = "" + LogBudget.DEFAULT_LIMIT_PER_SECOND,
      description =
          "Most lines per second of each category (claims, audit, sandboxes, conflicts);"
              + " the rest are dropped and counted. 0 = no limit.")
  long linesPerSecond;

  /**
   * Applies these options to the logging backend.
   *
   * @throws IllegalArgumentException naming the flag at fault
   */
  public void apply() {
    LogSetup.Format f = LogSetup.Format.parse(format);
    var parsed = LogSetup.parseLevels(levels);
    if (linesPerSecond < 0)
      throw new IllegalArgumentException(
          "--log-rate-limit: must be >= 0 (0 = no limit): " + linesPerSecond);
    LogSetup.apply(f, parsed, linesPerSecond);
  }
}
