package io.agentsandbox.k8s.testing;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Plays the kubelet (there is none on the test control plane): writes pod status the way a node
 * would, through the {@code pods/status} subresource. The static writers are stateless; {@link
 * #play} starts a {@link Node} that owns an informer and a small worker pool until closed.
 */
public final class Kubelet {

  /**
   * Pod IPs handed out by {@link #play}, unique across the JVM (several tests may share a
   * namespace).
   */
  private static final AtomicInteger IPS = new AtomicInteger();

  private Kubelet() {}

  /**
   * Every pod that appears in {@code ns} becomes Running and Ready with its own IP, written by one
   * of {@code threads} workers (never on the informer's dispatch thread), until the node is closed.
   */
  public static Node play(KubernetesClient c, String ns, int threads) {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    SharedIndexInformer<Pod> informer =
        c.pods()
            .inNamespace(ns)
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(Pod pod) {
                    if (pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase()))
                      return; // another test's, already running
                    String name = pod.getMetadata().getName();
                    int k = IPS.incrementAndGet();
                    String ip = "10.1." + (k / 250) + "." + (k % 250 + 1);
                    pool.execute(
                        () -> {
                          for (int attempt = 0; attempt < 5; attempt++) {
                            try {
                              markRunning(c, ns, name, ip);
                              return;
                            } catch (KubernetesClientException e) {
                              if (e.getCode() == 404) return;
                            }
                          }
                        });
                  }

                  @Override
                  public void onUpdate(Pod oldPod, Pod newPod) {}

                  @Override
                  public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {}
                });
    return new Node(informer, pool);
  }

  /** A running {@link #play}: its pod informer and its workers. Close from the test thread. */
  public static final class Node implements AutoCloseable {
    private final SharedIndexInformer<Pod> informer;
    private final ExecutorService workers;

    private Node(SharedIndexInformer<Pod> informer, ExecutorService workers) {
      this.informer = informer;
      this.workers = workers;
    }

    @Override
    public void close() {
      informer.close();
      workers.shutdownNow();
    }
  }

  /** Waits (bounded) for the pod to exist, then reports it Running, Ready, with {@code ip}. */
  public static Pod markRunning(KubernetesClient c, String ns, String name, String ip) {
    return writeStatus(c, ns, name, "Running", ip, true);
  }

  /** Reports the pod terminal: {@code Succeeded} or {@code Failed}. */
  public static Pod markTerminal(KubernetesClient c, String ns, String name, String phase) {
    return writeStatus(c, ns, name, phase, null, false);
  }

  private static Pod writeStatus(
      KubernetesClient c, String ns, String name, String phase, String ip, boolean ready) {
    Pod pod =
        c.pods()
            .inNamespace(ns)
            .withName(name)
            .waitUntilCondition(p -> p != null, 30, TimeUnit.SECONDS);
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    PodStatus st = new PodStatus();
    st.setPhase(phase);
    List<PodCondition> conds =
        List.of(
            new PodConditionBuilder()
                .withType("PodScheduled")
                .withStatus("True")
                .withLastTransitionTime(now)
                .build(),
            new PodConditionBuilder()
                .withType("Ready")
                .withStatus(ready ? "True" : "False")
                .withLastTransitionTime(now)
                .build());
    st.setConditions(conds);
    if (ip != null) {
      st.setPodIP(ip);
      st.setPodIPs(List.of(new PodIP(ip)));
    }
    pod.setStatus(st);
    return c.pods().inNamespace(ns).resource(pod).updateStatus();
  }
}
