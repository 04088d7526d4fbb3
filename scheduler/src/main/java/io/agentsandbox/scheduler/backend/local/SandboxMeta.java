package io.agentsandbox.scheduler.backend.local;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.SandboxBlueprint;

/**
 * What the state directory records of one sandbox ({@code meta.properties}): who it is, how it was
 * started and which processes are it. A PID is only trusted with its start time (PIDs are reused).
 * Immutable.
 *
 * @param runtime null when the file names no known runtime
 * @param outerPid the runtime's process on the host (bwrap, or runsc's sandbox process), 0 if none
 * @param initPid bubblewrap: the PID namespace's init, which execs enter; 0 if unknown
 */
record SandboxMeta(
    PoolKey pool,
    String name,
    LocalRuntime runtime,
    SandboxBlueprint blueprint,
    long outerPid,
    long outerStart,
    long initPid,
    long initStart) {

  /** A sandbox's id: its directory's name and its runsc container's id. */
  static String idOf(PoolKey pool, String sandboxName) {
    return pool.namespace() + "_" + sandboxName;
  }

  String id() {
    return idOf(pool, name);
  }
}
