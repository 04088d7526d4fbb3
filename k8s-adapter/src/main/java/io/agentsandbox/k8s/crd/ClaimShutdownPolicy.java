package io.agentsandbox.k8s.crd;

/**
 * SandboxClaim {@code spec.lifecycle.shutdownPolicy}: {@code Delete} deletes the claim (GC
 * cascades), {@code DeleteForeground} deletes it with foreground propagation, {@code Retain}
 * (default) deletes the Sandbox and keeps the claim with Ready=False/{@code ClaimExpired}.
 */
public enum ClaimShutdownPolicy {
  Delete,
  DeleteForeground,
  Retain;
}
