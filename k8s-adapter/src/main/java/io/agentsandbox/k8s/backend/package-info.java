/**
 * The Kubernetes backend as the scheduler uses it: pools from {@code SandboxWarmPool} + {@code
 * SandboxTemplate} informers, claims from a {@code SandboxClaim} informer, bindings made durable on
 * the API server, restart recovery from the informer caches. Depends on {@code core} and fabric8
 * only; the engine is reached through {@code core.port} interfaces.
 */
package io.agentsandbox.k8s.backend;
