package io.agentsandbox.scheduler.backend.kubernetes;

import io.agentsandbox.k8s.backend.KubernetesBackend;
import io.agentsandbox.k8s.backend.KubernetesMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The Kubernetes backend's API writes as Micrometer meters: {@code
 * agent_sandbox_k8s_api_writes_total{request}} (every non-GET request, e.g. {@code PATCH
 * sandboxclaims/status}), {@code agent_sandbox_k8s_binding_seconds} (the one write that makes a
 * binding durable), {@code agent_sandbox_k8s_binding_queue_seconds} (its wait for a claim-path
 * thread) and {@code agent_sandbox_k8s_write_queue_depth{queue="bind"|"write"}}. Thread-safe.
 */
final class KubernetesMeters implements KubernetesMetrics {

  private final MeterRegistry registry;
  private final Map<String, Counter> writes = new ConcurrentHashMap<>();
  private final Timer binding;
  private final Timer bindingQueue;

  KubernetesMeters(MeterRegistry registry, KubernetesBackend kube) {
    this.registry = registry;
    this.binding =
        Timer.builder("agent_sandbox_k8s_binding")
            .description("The API write that makes a claim's binding durable")
            .publishPercentileHistogram()
            .register(registry);
    this.bindingQueue =
        Timer.builder("agent_sandbox_k8s_binding_queue")
            .description("A binding's wait for a claim-path write thread")
            .publishPercentileHistogram()
            .register(registry);
    for (String lane : new String[] {"bind", "write"}) {
      Gauge.builder("agent_sandbox_k8s_write_queue_depth", kube, k -> k.writeQueueDepth(lane))
          .description("API writes waiting for a thread, by lane")
          .tag("queue", lane)
          .register(registry);
    }
  }

  @Override
  public void apiWrite(String request) {
    writes
        .computeIfAbsent(
            request,
            r ->
                Counter.builder("agent_sandbox_k8s_api_writes")
                    .description("Non-GET requests sent to the API server")
                    .tag("request", r)
                    .register(registry))
        .increment();
  }

  @Override
  public void binding(long queueNanos, long writeNanos) {
    bindingQueue.record(queueNanos, TimeUnit.NANOSECONDS);
    binding.record(writeNanos, TimeUnit.NANOSECONDS);
  }
}
