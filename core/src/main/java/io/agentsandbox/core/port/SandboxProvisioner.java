package io.agentsandbox.core.port;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxBlueprint;

/**
 * A backend that starts and stops sandboxes: Kubernetes pods, local gVisor/bubblewrap processes, or
 * a simulation.
 *
 * <p>Every method returns at once and may be called from any thread (in practice from a shard's
 * event loop, which must never block). Results arrive later through the {@link ProvisionListener}
 * given to the call, on the provisioner's threads. A provisioner reports each sandbox it was asked
 * to create exactly once as ready or failed, and each delete as deleted (deleting an unknown
 * sandbox counts as deleted).
 */
public interface SandboxProvisioner {

  /**
   * Starts a sandbox.
   *
   * @param pool the pool it belongs to (reported back with every event)
   * @param sandboxName a name unique among this provisioner's live sandboxes
   * @param blueprint what to run
   * @param listener where the outcome goes
   */
  void create(
      PoolKey pool, String sandboxName, SandboxBlueprint blueprint, ProvisionListener listener);

  /**
   * Stops and removes a sandbox, whatever state it is in. Idempotent.
   *
   * @param pool the pool it was created for
   * @param sandboxName its name
   * @param listener receives {@link ProvisionListener#onSandboxDeleted}
   */
  void delete(PoolKey pool, String sandboxName, ProvisionListener listener);

  /** Short name of the backend: {@code simulated}, {@code local}, {@code kubernetes}. */
  String backendName();

  /**
   * What this backend enforces of its sandboxes' limits (memory, CPU, processes) and the defaults
   * it applies, shown in every pool's status; null when the platform enforces them (the kubelet).
   * Any thread; must not block.
   */
  default String limitsDescription() {
    return null;
  }

  /** False when some limit of a template is not enforced by this backend. Any thread. */
  default boolean limitsEnforced() {
    return true;
  }

  /**
   * Why this backend cannot run sandboxes of a runtime class, or null when it can. A pool of such a
   * class shows the reason (condition {@code RuntimeClassUnavailable}) and its claims are refused.
   * Any thread; must not block.
   */
  default String unavailableReason(RuntimeClass runtimeClass) {
    return null;
  }

  /** True when sandboxes are not real (the simulated backend); shown wherever pools are shown. */
  default boolean isSimulated() {
    return false;
  }
}
