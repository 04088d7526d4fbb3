package io.agentsandbox.scheduler.backend;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.model.SandboxBlueprint;
import io.agentsandbox.core.port.AgentLocator;
import io.agentsandbox.core.port.BindingStore;
import io.agentsandbox.core.port.SandboxExecutor;
import io.agentsandbox.core.port.SandboxProvisioner;
import io.agentsandbox.scheduler.backend.local.LocalProvisioner;
import io.agentsandbox.scheduler.http.ClaimTokens;
import io.agentsandbox.scheduler.pools.PoolCatalog;
import io.agentsandbox.scheduler.shard.ShardGroup;
import io.agentsandbox.scheduler.shard.ShardRouter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real sandboxes on this host ({@link LocalProvisioner}: gVisor or bubblewrap). On start it
 * recovers what the previous process left in the state directory: sandboxes that still answer are
 * kept (bound claims stay bound), the rest destroyed; the claim-token key is kept there too. Used
 * by the starting thread, then closed once.
 */
public final class LocalBackend implements Backend {

  private static final Logger LOG = LoggerFactory.getLogger(LocalBackend.class);

  private final LocalProvisioner local;
  private ClaimTokens tokens;

  /** Wraps a provisioner opened for recovery ({@link LocalProvisioner#openForRecovery}). */
  public LocalBackend(LocalProvisioner local) {
    this.local = local;
  }

  @Override
  public SandboxProvisioner provisioner() {
    return local;
  }

  @Override
  public BindingStore bindingStore() {
    return local;
  }

  @Override
  public SandboxExecutor executor() {
    return local;
  }

  @Override
  public AgentLocator agentLocator() {
    return local.agentLocator();
  }

  @Override
  public ClaimTokens claimTokens() {
    // The key is read first at start: tokens of restored claims must verify, and a bad key file
    // stops start-up before anything is kept.
    if (tokens == null)
      tokens = ClaimTokens.persistent(local.stateDir().resolve("claim-token.key"));
    return tokens;
  }

  @Override
  public void start(ShardGroup shards, PoolCatalog catalog, Events events) {
    claimTokens();
    // Restart recovery, before any pool is declared: keep what still runs, destroy the rest.
    Map<PoolKey, SandboxBlueprint> declared = new HashMap<>();
    for (PoolSpec spec : catalog.pools()) declared.put(spec.key(), spec.blueprint());
    ShardRouter router = shards.router();
    Map<PoolKey, LocalProvisioner.RecoveredPool> recovered =
        new HashMap<>(
            local.recover(
                new LocalProvisioner.RecoveryPlan(
                    declared,
                    b -> router.shardOfClaim(b.claimId()) == router.shardOf(b.pool()),
                    key -> shards.ofPool(key).provisionListener())));
    for (PoolSpec spec : catalog.pools()) {
      var kept = recovered.remove(spec.key());
      shards.declare(spec, kept == null ? List.of() : kept.sandboxes());
    }
    for (LocalProvisioner.RecoveredPool gone : recovered.values()) {
      // Only bound sandboxes are kept for a pool no longer declared: they stay until released or
      // expired.
      LOG.warn(
          "pool {} is no longer declared; keeping its {} sandbox(es) bound to claims"
              + " until they are released or expire",
          gone.pool(),
          gone.sandboxes().size());
      shards.adoptRemoved(new PoolSpec(gone.pool(), gone.blueprint(), 0, 0), gone.sandboxes());
    }
    events.serving();
  }

  @Override
  public void close() {
    local.close();
  }
}
