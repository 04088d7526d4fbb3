package io.agentsandbox.k8s.crd;

/**
 * SandboxWarmPool {@code spec.updateStrategy.type}: {@code OnReplenish} (default) keeps stale
 * members until claimed or deleted; {@code Recreate} deletes stale unclaimed members at once.
 */
public enum UpdateStrategyType {
  OnReplenish,
  Recreate;
}
