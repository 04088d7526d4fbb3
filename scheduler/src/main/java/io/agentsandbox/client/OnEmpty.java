package io.agentsandbox.client;

/** What a claim does when its pool has no ready sandbox ({@code onEmpty} of the claim body). */
public enum OnEmpty {
  /** Park until a sandbox is ready or the claim's wait passes ({@code 504}). The default. */
  WAIT,
  /** Start a sandbox for this claim now (a cold start). */
  COLD,
  /** Answer {@code 503 pool_empty} at once. */
  REJECT;

  /** The wire name: {@code wait}, {@code cold} or {@code reject}. */
  public String wireName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
