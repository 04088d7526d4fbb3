package io.agentsandbox.scheduler.backend;

import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.port.BindingStore;
import io.agentsandbox.core.port.SandboxExecutor;
import io.agentsandbox.core.port.SandboxProvisioner;
import io.agentsandbox.scheduler.http.ClaimTokens;
import io.agentsandbox.scheduler.pools.PoolCatalog;
import io.agentsandbox.scheduler.shard.ShardGroup;
import java.util.List;

/**
 * No real sandbox: each becomes ready after a simulated latency. Nothing survives a restart, there
 * is no exec, and claim tokens use a per-process key. Immutable.
 */
public final class SimulatedBackend implements Backend {

  private final SandboxProvisioner provisioner;
  private final ClaimTokens tokens = ClaimTokens.random();

  public SimulatedBackend(SandboxProvisioner provisioner) {
    this.provisioner = provisioner;
  }

  @Override
  public SandboxProvisioner provisioner() {
    return provisioner;
  }

  @Override
  public BindingStore bindingStore() {
    return BindingStore.NOOP;
  }

  @Override
  public SandboxExecutor executor() {
    return null;
  }

  @Override
  public ClaimTokens claimTokens() {
    return tokens;
  }

  @Override
  public void start(ShardGroup shards, PoolCatalog catalog, Events events) {
    for (PoolSpec spec : catalog.pools()) shards.declare(spec, List.of());
    events.serving();
  }

  @Override
  public void close() {}
}
