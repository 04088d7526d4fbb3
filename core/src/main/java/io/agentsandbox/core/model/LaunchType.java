package io.agentsandbox.core.model;

/** How a claim's sandbox was obtained; upstream's {@code agents.x-k8s.io/launch-type} label. */
public enum LaunchType {
  /** Taken from the warm pool, already running. */
  WARM("warm"),
  /** Started for this claim after it arrived. */
  COLD("cold");

  private final String wireName;

  LaunchType(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }
}
