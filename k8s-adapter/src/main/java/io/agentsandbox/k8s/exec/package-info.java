/**
 * The Kubernetes backend of {@code core.port.SandboxExecutor}: commands run in a sandbox's pod
 * through the API server's {@code pods/exec} subresource. Thread-safe; the blocking parts (pod
 * read, websocket upgrade) run on its own bounded {@code k8s-exec-<n>} pool, never on the caller's
 * thread.
 */
package io.agentsandbox.k8s.exec;
