/**
 * The Kubernetes backend as the scheduler uses it: pools from {@code SandboxWarmPool} + {@code
 * SandboxTemplate} informers, claims from a {@code SandboxClaim} informer, bindings made durable on
 * the API server, restart recovery from the informer caches. Depends on {@code core} and fabric8
 * only; the engine is reached through {@code core.port} interfaces.
 *
 * <p>Threads: informer handlers only map and post to the engine; API writes run on the backend's
 * own {@code k8s-bind-<n>} pool and claim expiry on its {@code k8s-claim-expiry} thread, never on a
 * shard's event loop. The backend is thread-safe; {@code start} blocks its caller (start-up only).
 */
package io.agentsandbox.k8s.backend;
