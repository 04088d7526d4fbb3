package io.agentsandbox.core.logging;

/**
 * The trace id of a W3C {@code traceparent} ({@code 00-<32 hex trace id>-<16 hex parent id>-<2 hex
 * flags>}), as an HTTP header or inside upstream's {@code opentelemetry.io/trace-context}
 * annotation (a JSON object with a {@code traceparent} member). Stateless.
 */
public final class TraceParent {

  /** The annotation upstream's SDKs put the trace context in, on a SandboxClaim. */
  public static final String ANNOTATION = "opentelemetry.io/trace-context";

  private TraceParent() {}

  /**
   * The 32-hex trace id of {@code value}, or null when it is absent or not a valid traceparent (an
   * all-zero id is invalid). Takes a bare traceparent or a JSON text holding {@code
   * "traceparent":"..."}.
   */
  public static String traceId(String value) {
    if (value == null) return null;
    int at = value.indexOf("\"traceparent\"");
    if (at >= 0) {
      int colon = value.indexOf(':', at + 13);
      int open = colon < 0 ? -1 : value.indexOf('"', colon + 1);
      int close = open < 0 ? -1 : value.indexOf('"', open + 1);
      if (close < 0) return null;
      value = value.substring(open + 1, close);
    }
    String v = value.strip();
    if (v.length() < 55 || v.charAt(2) != '-' || v.charAt(35) != '-' || v.charAt(52) != '-')
      return null;
    if (!isHex(v, 0, 2) || v.startsWith("ff")) return null;
    if (!isHex(v, 3, 35) || !isHex(v, 36, 52) || !isHex(v, 53, 55)) return null;
    if (v.length() > 55 && (v.startsWith("00") || v.charAt(55) != '-')) return null;
    String id = v.substring(3, 35);
    return id.equals("00000000000000000000000000000000") ? null : id;
  }

  private static boolean isHex(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
  }
}
