package io.agentsandbox.scheduler.backend;

import io.agentsandbox.core.port.AgentLocator;
import io.agentsandbox.core.port.BindingStore;
import io.agentsandbox.core.port.SandboxExecutor;
import io.agentsandbox.core.port.SandboxProvisioner;
import io.agentsandbox.core.port.TokenVerifier;
import io.agentsandbox.scheduler.http.ClaimTokens;
import io.agentsandbox.scheduler.pools.PoolCatalog;
import io.agentsandbox.scheduler.shard.ShardGroup;

/**
 * Where sandboxes come from (local runtimes, a Kubernetes cluster, or a simulation), as the
 * composition root needs it: the provisioner and binding store the shards use, the executor and
 * claim tokens the HTTP API uses, recovery and pool declaration at start, and close. Built on the
 * starting thread; {@link #start} and {@link #close} are called once each, from one thread at a
 * time; the parts it hands out are thread-safe.
 */
public interface Backend {

  /** Tells the server how serving goes. Thread-safe. */
  interface Events {
    /** This replica now serves pools and claims (after recovery, or after winning an election). */
    void serving();

    /**
     * This replica can no longer serve safely (lost its Lease, cannot start): the process exits.
     */
    void fatal(Throwable cause);
  }

  /** Creates, deletes and watches sandboxes. */
  SandboxProvisioner provisioner();

  /** Keeps claim bindings across restarts; {@link BindingStore#NOOP} when nothing is kept. */
  BindingStore bindingStore();

  /** Runs commands and moves files in sandboxes; null when the backend cannot (simulated). */
  SandboxExecutor executor();

  /**
   * Mints and checks claim tokens; a backend that recovers claims keeps the key, so tokens issued
   * before a restart still verify.
   *
   * @throws RuntimeException when a kept key cannot be read (start-up stops)
   */
  ClaimTokens claimTokens();

  /**
   * Finds a sandbox's in-sandbox agent (exec, files and the router go to it); {@link
   * AgentLocator#NONE} when the backend has none.
   */
  default AgentLocator agentLocator() {
    return AgentLocator.NONE;
  }

  /** Registers the backend's own meters (none by default). Starting thread, before start. */
  default void registerMeters(io.micrometer.core.instrument.MeterRegistry registry) {}

  /** Checks API tokens with the cluster (TokenReview); null when the backend has no cluster. */
  default TokenVerifier tokenVerifier() {
    return null;
  }

  /**
   * Recovers what survived a restart and declares the pools on the shards (from {@code catalog}, or
   * from the cluster, which then fills {@code catalog}); reports {@link Events#serving()} when this
   * replica serves. Blocking: called on the starting thread, before the HTTP API listens.
   *
   * @throws RuntimeException when the backend cannot start (start-up stops)
   */
  void start(ShardGroup shards, PoolCatalog catalog, Events events);

  /** Releases what the backend holds (processes, clients, threads). Blocking; idempotent. */
  void close();
}
