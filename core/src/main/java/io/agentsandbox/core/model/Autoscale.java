package io.agentsandbox.core.model;

/**
 * Opt-in demand-driven sizing of a pool. Immutable. Without it a pool's target is its {@code
 * spec.replicas}, exactly as upstream.
 *
 * @param minReplicas the target never goes below this
 * @param maxReplicas the target never goes above this
 * @param confidence probability that the ready stock covers the demand arriving while replacements
 *     start (0.5..0.9999); e.g. 0.99 aims at 99 % warm hits
 */
public record Autoscale(int minReplicas, int maxReplicas, double confidence) {

  public static final double DEFAULT_CONFIDENCE = 0.99;

  public Autoscale {
    if (minReplicas < 0)
      throw new IllegalArgumentException("minReplicas must be >= 0: " + minReplicas);
    if (maxReplicas < minReplicas) {
      throw new IllegalArgumentException(
          "maxReplicas must be >= minReplicas: " + maxReplicas + " < " + minReplicas);
    }
    if (!(confidence >= 0.5 && confidence <= 0.9999)) {
      throw new IllegalArgumentException("confidence must be 0.5..0.9999: " + confidence);
    }
  }
}
