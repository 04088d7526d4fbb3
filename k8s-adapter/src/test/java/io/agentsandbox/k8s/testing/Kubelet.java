package io.agentsandbox.k8s.testing;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Plays the kubelet (there is none on the test control plane): writes pod status the way a node
 * would, through the {@code pods/status} subresource. Stateless.
 */
public final class Kubelet {

  private Kubelet() {}

  /** Waits (bounded) for the pod to exist, then reports it Running, Ready, with {@code ip}. */
  public static Pod markRunning(KubernetesClient c, String ns, String name, String ip) {
    return writeStatus(c, ns, name, "Running", ip, true);
  }

  /** Reports the pod terminal: {@code Succeeded} or {@code Failed}. */
  public static Pod markTerminal(KubernetesClient c, String ns, String name, String phase) {
    return writeStatus(c, ns, name, phase, null, false);
  }

  private static Pod writeStatus(KubernetesClient c, String ns, String name, String phase, String ip, boolean ready) {
    Pod pod = c.pods().inNamespace(ns).withName(name).waitUntilCondition(p -> p != null, 30, TimeUnit.SECONDS);
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    PodStatus st = new PodStatus();
    st.setPhase(phase);
    List<PodCondition> conds = List.of(
        new PodConditionBuilder().withType("PodScheduled").withStatus("True").withLastTransitionTime(now).build(),
        new PodConditionBuilder().withType("Ready").withStatus(ready ? "True" : "False").withLastTransitionTime(now).build());
    st.setConditions(conds);
    if (ip != null) {
      st.setPodIP(ip);
      st.setPodIPs(List.of(new PodIP(ip)));
    }
    pod.setStatus(st);
    return c.pods().inNamespace(ns).resource(pod).updateStatus();
  }
}
