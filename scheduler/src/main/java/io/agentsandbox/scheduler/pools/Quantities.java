package io.agentsandbox.scheduler.pools;

import java.math.BigDecimal;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses Kubernetes resource quantities ({@code 500m}, {@code 2}, {@code 512Mi}, {@code 1G}). */
public final class Quantities {
  private static final Pattern Q =
      Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?");

  private Quantities() {}

  static long cpuMillis(String where, String s) {
    Matcher m = Q.matcher(s.trim());
    if (!m.matches() || (m.group(2) != null && !m.group(2).equals("m"))) {
      throw new PoolDeclarationException(where + ": not a CPU quantity: '" + s + "'");
    }
    BigDecimal v = new BigDecimal(m.group(1));
    return m.group(2) == null ? v.movePointRight(3).longValue() : v.longValue();
  }

  /** Bytes of a memory quantity; throws naming {@code where} when it is not one. */
  public static long bytes(String where, String s) {
    Matcher m = Q.matcher(s.trim());
    if (!m.matches() || "m".equals(m.group(2))) {
      throw new PoolDeclarationException(where + ": not a memory quantity: '" + s + "'");
    }
    BigDecimal v = new BigDecimal(m.group(1));
    long mult =
        switch (m.group(2) == null ? "" : m.group(2)) {
          case "Ki" -> 1L << 10;
          case "Mi" -> 1L << 20;
          case "Gi" -> 1L << 30;
          case "Ti" -> 1L << 40;
          case "k" -> 1_000L;
          case "M" -> 1_000_000L;
          case "G" -> 1_000_000_000L;
          case "T" -> 1_000_000_000_000L;
          default -> 1L;
        };
    return v.multiply(BigDecimal.valueOf(mult)).longValue();
  }
}
