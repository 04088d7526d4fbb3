package io.agentsandbox.k8s.crd;

/**
 * SandboxTemplate {@code spec.envVarsInjectionPolicy} and {@code spec.volumeClaimTemplatesPolicy}:
 * what a claim may add. {@code Disallowed} (default), {@code Allowed} (add new names only), {@code
 * Overrides} (add and replace).
 */
public enum InjectionPolicy {
  Disallowed,
  Allowed,
  Overrides;
}
