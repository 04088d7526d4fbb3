/**
 * The Kubernetes backend of {@code core.port.SandboxProvisioner}. Its state (waiting creates) is
 * thread-safe; API calls run on its own bounded {@code k8s-io-<n>} pool, never on the caller's
 * thread.
 */
package io.agentsandbox.k8s.provision;
