package io.agentsandbox.scheduler.backend.local;

import io.agentsandbox.core.model.RuntimeClass;
import java.util.Map;

/**
 * Which local runtime runs a runtime class, and why it cannot run here. Pure; immutable.
 *
 * @param mapping the configured {@code --runtime-map} ({@code default}, {@code kata} and {@code *}
 *     are keys too)
 * @param gvisorProblem why gVisor is unusable here, or null
 * @param bwrapProblem why bubblewrap is unusable here (the binary, or the state dir), or null
 */
record RuntimeMap(Map<String, String> mapping, String gvisorProblem, String bwrapProblem) {

  static RuntimeMap of(LocalBackendConfig config, HostProbe probe, String bwrapStateProblem) {
    return new RuntimeMap(
        config.runtimeMap(),
        probe.gvisorReason(),
        probe.bwrapReason() != null ? probe.bwrapReason() : bwrapStateProblem);
  }

  /** The local runtime of a runtime class, or null when it has none. */
  LocalRuntime runtimeOf(RuntimeClass rc) {
    String key = rc.isDefault() ? "default" : rc.name();
    String mapped = mapping.get(key);
    if (mapped == null && rc.isKata()) mapped = mapping.get("kata");
    if (mapped == null) mapped = mapping.get("*");
    if (mapped != null) return LocalRuntime.parse(mapped);
    if (rc.isDefault() || rc.name().equals("runc")) return LocalRuntime.BWRAP;
    if (rc.equals(RuntimeClass.GVISOR) || rc.name().equals("runsc")) return LocalRuntime.GVISOR;
    return null;
  }

  /** Why sandboxes of {@code rc} cannot run here, or null when they can. */
  String unavailableReason(RuntimeClass rc) {
    LocalRuntime runtime = runtimeOf(rc);
    if (runtime == null) {
      return "runtime class "
          + rc.displayName()
          + " has no runtime on the local backend (only gvisor and the default/runc run on one"
          + " host); map it to one with --runtime-map "
          + rc.displayName()
          + "=gvisor (or =bwrap)";
    }
    String why = runtime == LocalRuntime.GVISOR ? gvisorProblem : bwrapProblem;
    return why == null
        ? null
        : "runtime class "
            + rc.displayName()
            + " runs on "
            + runtime.wireName()
            + ", which is not usable here: "
            + why;
  }

  boolean anyUsable() {
    return gvisorProblem == null || bwrapProblem == null;
  }
}
