package io.agentsandbox.core.port;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.model.RecoveredSandbox;
import java.util.List;

/**
 * Where an adapter that watches pool declarations (Kubernetes {@code SandboxWarmPool} + {@code
 * SandboxTemplate}) posts them. Any thread; never blocks.
 */
public interface PoolCatalogListener {

  /**
   * Declares or updates a pool. {@code recovered} (restart recovery) is used only when the pool is
   * new to the engine.
   */
  void declare(PoolSpec spec, List<RecoveredSandbox> recovered);

  /** Removes a pool; its sandboxes bound to claims stay until released. */
  void remove(PoolKey pool);
}
