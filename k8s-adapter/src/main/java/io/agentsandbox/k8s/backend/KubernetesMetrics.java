package io.agentsandbox.k8s.backend;

/**
 * What the Kubernetes backend reports as it writes to the API server; the scheduler turns it into
 * Micrometer meters. Called on the backend's I/O threads: implementations are thread-safe and never
 * block.
 */
public interface KubernetesMetrics {

  /** Reports nothing. */
  KubernetesMetrics NOOP =
      new KubernetesMetrics() {
        @Override
        public void apiWrite(String request) {}

        @Override
        public void binding(long queueNanos, long writeNanos) {}
      };

  /**
   * One non-GET request sent, as {@code METHOD resource[/subresource]} (e.g. {@code PATCH
   * sandboxes}).
   */
  void apiWrite(String request);

  /**
   * A binding made durable: how long it waited for a claim-path write thread, then how long its
   * write took (the one API write on the claim's critical path).
   */
  void binding(long queueNanos, long writeNanos);
}
