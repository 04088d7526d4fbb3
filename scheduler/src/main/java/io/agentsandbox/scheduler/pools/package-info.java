/**
 * Pool declarations: the loader that reads {@code SandboxTemplate} and {@code SandboxWarmPool} YAML
 * (at start-up, off the event loops) and the {@link io.agentsandbox.scheduler.pools.PoolCatalog}
 * that maps a pool to its template and runtime class.
 *
 * <p>The catalog is the only shared state: any thread may read it; its writers (start-up, and with
 * the Kubernetes backend the informer thread) are serialised by its monitor. The pools' own state
 * lives in the shards, not here.
 */
package io.agentsandbox.scheduler.pools;
