package io.agentsandbox.k8s.backend;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.k8s.client.MergePatch;
import io.agentsandbox.k8s.client.WriteLog;
import io.agentsandbox.k8s.crd.SandboxWarmPool;
import io.agentsandbox.k8s.crd.UpstreamKeys;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes a pool's status (replicas, readyReplicas, selector, runtimeClassName, observedGeneration)
 * with a merge patch when it changed since the last write, on the background lane. Thread-safe;
 * returns at once.
 */
final class PoolStatusWriter {

  private final KubernetesClient client;
  private final ClaimStatusWriter json;
  private final WriteQueues queues;
  private final Map<PoolKey, String> last = new ConcurrentHashMap<>();

  PoolStatusWriter(KubernetesClient client, ClaimStatusWriter json, WriteQueues queues) {
    this.client = client;
    this.json = json;
    this.queues = queues;
  }

  void write(SandboxWarmPool p, int replicas, int readyReplicas, String runtimeClassName) {
    PoolKey key = ClusterCaches.keyOf(p);
    Map<String, Object> st = new LinkedHashMap<>();
    st.put("replicas", replicas);
    st.put("readyReplicas", readyReplicas);
    st.put("selector", UpstreamKeys.WARM_POOL_SANDBOX + "=" + UpstreamKeys.nameHash(key.name()));
    if (runtimeClassName != null && !runtimeClassName.isEmpty())
      st.put("runtimeClassName", runtimeClassName);
    if (p.getMetadata().getGeneration() != null)
      st.put("observedGeneration", p.getMetadata().getGeneration());
    String body = json.toJson(Map.of("status", st));
    if (body.equals(last.put(key, body))) return;
    boolean queued =
        queues.write(
            () -> {
              try {
                MergePatch.apply(
                    client, SandboxWarmPool.class, key.namespace(), key.name(), "status", body);
              } catch (KubernetesClientException e) {
                last.remove(key, body);
                WriteLog.retried("SandboxWarmPool", key.toString(), e, "the next status change");
              }
            });
    if (!queued) last.remove(key, body);
  }
}
