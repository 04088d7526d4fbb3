package io.agentsandbox.k8s.crd;

/**
 * SandboxTemplate {@code spec.networkPolicyManagement}: {@code Managed} (default) keeps one shared
 * NetworkPolicy per template; {@code Unmanaged} deletes an owned one.
 */
public enum NetworkPolicyManagement {
  Managed,
  Unmanaged;
}
