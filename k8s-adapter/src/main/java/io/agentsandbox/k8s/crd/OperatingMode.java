package io.agentsandbox.k8s.crd;

/**
 * Sandbox {@code spec.operatingMode}: {@code Running} (default) keeps a pod, {@code Suspended}
 * deletes it and keeps the Sandbox, its PVCs and Service.
 */
public enum OperatingMode {
  Running,
  Suspended;
}
