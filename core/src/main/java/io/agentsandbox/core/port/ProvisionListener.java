package io.agentsandbox.core.port;

import io.agentsandbox.core.model.PoolKey;
import java.util.List;

/**
 * Receives what a {@link SandboxProvisioner} learns about the sandboxes it started.
 *
 * <p>Called from the provisioner's own threads, never from the caller's. Implementations must not
 * block: the scheduler's listener only offers a message into the owning shard's control queue.
 */
public interface ProvisionListener {

  /**
   * Ignores every result: for callers that learn a sandbox's fate some other way (watches,
   * polling).
   */
  ProvisionListener NOOP =
      new ProvisionListener() {
        @Override
        public void onSandboxReady(PoolKey pool, String sandboxName, List<String> addresses) {}

        @Override
        public void onSandboxFailed(PoolKey pool, String sandboxName, String reason) {}

        @Override
        public void onSandboxDeleted(PoolKey pool, String sandboxName) {}
      };

  /**
   * The sandbox is up and answering.
   *
   * @param pool the pool it was created for
   * @param sandboxName its name
   * @param addresses its IP addresses (may be empty: no network)
   */
  void onSandboxReady(PoolKey pool, String sandboxName, List<String> addresses);

  /**
   * The sandbox could not be started, or died. It holds no resources any more.
   *
   * @param reason a sentence for people and logs
   */
  void onSandboxFailed(PoolKey pool, String sandboxName, String reason);

  /** The sandbox is gone after a {@link SandboxProvisioner#delete}. */
  void onSandboxDeleted(PoolKey pool, String sandboxName);
}
