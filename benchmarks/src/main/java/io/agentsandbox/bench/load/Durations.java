package io.agentsandbox.bench.load;

import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine;

/** Durations on the command line: {@code 250ms}, {@code 10s}, {@code 2m}. Stateless. */
public final class Durations implements CommandLine.ITypeConverter<Duration> {

  @Override
  public Duration convert(String value) {
    try {
      return parse(value);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.TypeConversionException(e.getMessage());
    }
  }

  /**
   * Parses a number followed by {@code ms}, {@code s} or {@code m}.
   *
   * @throws IllegalArgumentException saying what is expected
   */
  public static Duration parse(String value) {
    String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
    try {
      if (v.endsWith("ms"))
        return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2).trim()));
      if (v.endsWith("s"))
        return Duration.ofMillis(
            Math.round(Double.parseDouble(v.substring(0, v.length() - 1).trim()) * 1000));
      if (v.endsWith("m"))
        return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1).trim()) * 60);
    } catch (NumberFormatException e) {
      // fall through to the message below
    }
    throw new IllegalArgumentException(
        "'" + value + "' is not a duration; write e.g. 500ms, 10s or 2m");
  }

  /** {@code 1.5s}, {@code 250ms}. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? (ms / 1000) + "s" : ms >= 1000 ? (ms / 1000.0) + "s" : ms + "ms";
  }
}
