package io.agentsandbox.scheduler.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import io.agentsandbox.core.logging.LogBudget;
import java.net.URL;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the logging flags to logback at start-up: the format ({@code text}, the bundled {@code
 * logback.xml}, or {@code json}, {@code logback-json.xml} with logback's JSON encoder), levels per
 * logger, and the lines-per-second budget of each category. A {@code -Dlogback.configurationFile}
 * of the operator's own wins over the format. Called once, from {@code main}, before the server
 * starts.
 */
public final class LogSetup {

  /** Short names for the category loggers, usable in {@code --log-level}. */
  public static final Map<String, String> ALIASES =
      Map.of(
          "claims", ClaimLog.LOGGER,
          "audit", AuditLog.LOGGER,
          "sandboxes", SandboxLog.LOGGER,
          "conflicts", "io.agentsandbox.conflicts");

  private static final Pattern LOGGER_NAME = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$.-]{0,199}");

  private LogSetup() {}

  /** The output format. */
  public enum Format {
    TEXT,
    JSON;

    /**
     * @throws IllegalArgumentException naming {@code --log-format}
     */
    public static Format parse(String value) {
      return switch (value == null ? "" : value.strip().toLowerCase(Locale.ROOT)) {
        case "", "text" -> TEXT;
        case "json" -> JSON;
        default ->
            throw new IllegalArgumentException(
                "--log-format: '" + value + "' is not a format; use text or json");
      };
    }
  }

  /**
   * Parses {@code --log-level}: comma-separated entries, each {@code LEVEL} (the root logger) or
   * {@code logger=LEVEL}; a logger is a name or an alias ({@link #ALIASES}).
   *
   * @return logger name ({@code ROOT} for the root) → level, in order
   * @throws IllegalArgumentException naming {@code --log-level} and the entry at fault
   */
  public static Map<String, Level> parseLevels(String spec) {
    Map<String, Level> out = new LinkedHashMap<>();
    if (spec == null || spec.isBlank()) return out;
    for (String raw : spec.split(",")) {
      String entry = raw.strip();
      if (entry.isEmpty()) continue;
      int eq = entry.indexOf('=');
      String logger = eq < 0 ? Logger.ROOT_LOGGER_NAME : entry.substring(0, eq).strip();
      String level = eq < 0 ? entry : entry.substring(eq + 1).strip();
      logger = ALIASES.getOrDefault(logger, logger);
      if (!logger.equals(Logger.ROOT_LOGGER_NAME) && !LOGGER_NAME.matcher(logger).matches())
        throw new IllegalArgumentException(
            "--log-level: '" + entry + "': '" + logger + "' is not a logger name");
      Level parsed = Level.toLevel(level.toUpperCase(Locale.ROOT), null);
      if (parsed == null || !level.equalsIgnoreCase(parsed.levelStr))
        throw new IllegalArgumentException(
            "--log-level: '"
                + entry
                + "': level must be one of TRACE, DEBUG, INFO, WARN, ERROR, OFF");
      out.put(logger, parsed);
    }
    return out;
  }

  /**
   * Switches to {@code format}, then sets {@code levels} and every category's budget. Logging that
   * is not logback (another SLF4J binding) is left alone.
   */
  public static void apply(Format format, Map<String, Level> levels, long linesPerSecond) {
    LogBudget.limitAll(linesPerSecond);
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) return;
    if (format == Format.JSON && System.getProperty("logback.configurationFile") == null) {
      configure(context, LogSetup.class.getResource("/logback-json.xml"));
    }
    for (Map.Entry<String, Level> e : levels.entrySet())
      context.getLogger(e.getKey()).setLevel(e.getValue());
  }

  /** Flushes and stops logging (the async appender's queue is written out). Before exit. */
  public static void flush() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) context.stop();
  }

  private static void configure(LoggerContext context, URL config) {
    JoranConfigurator joran = new JoranConfigurator();
    joran.setContext(context);
    context.reset();
    try {
      joran.doConfigure(config);
    } catch (JoranException e) {
      throw new IllegalStateException("cannot configure logging from " + config, e);
    }
  }
}
