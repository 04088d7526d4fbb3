package io.agentsandbox.k8s.crd;

/**
 * Sandbox {@code spec.shutdownPolicy}: what happens at {@code shutdownTime}. Pod and Service are
 * always deleted; {@code Delete} also deletes the Sandbox, {@code Retain} (default) keeps it with
 * Ready=False/{@code SandboxExpired}.
 */
public enum ShutdownPolicy {
  Delete,
  Retain;
}
