package io.agentsandbox.core.model;

/** What a claim does when its pool has no ready sandbox. */
public enum OnEmpty {
  /** Park until a warm sandbox is ready or the claim's wait deadline passes ({@code 504}). */
  WAIT("wait"),
  /**
   * Start a dedicated sandbox for this claim at once (a cold start), bounded by the wait deadline.
   */
  COLD("cold"),
  /** Turn the claim away at once ({@code 503} with {@code Retry-After}). */
  REJECT("reject");

  private final String wireName;

  OnEmpty(String wireName) {
    this.wireName = wireName;
  }

  /** The name used in JSON and YAML. */
  public String wireName() {
    return wireName;
  }

  /** Parses a wire name; returns {@code null} when it is none of them. */
  public static OnEmpty fromWireName(String s) {
    for (OnEmpty v : values()) {
      if (v.wireName.equals(s)) return v;
    }
    return null;
  }
}
