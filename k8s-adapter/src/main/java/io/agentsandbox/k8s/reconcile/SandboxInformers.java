package io.agentsandbox.k8s.reconcile;

import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.UpstreamKeys;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * What the {@link SandboxReconciler} watches: Sandboxes, their pods and Services (by the
 * sandbox-name-hash label), and the kubelet's events for pods that cannot start; each mapped to the
 * key of the Sandbox it concerns. Started once; the caches are read by the reconcile workers.
 */
final class SandboxInformers {

  /**
   * The kubelet's event when a pod's sandbox cannot be created (e.g. no handler for its runtime
   * class).
   */
  static final String FAILED_CREATE_POD_SANDBOX = "FailedCreatePodSandBox";

  private static final String BY_POD_UID = "involvedObject.uid";

  private final KubernetesClient client;
  private final String namespace;
  private volatile SharedIndexInformer<Sandbox> sandboxes;
  private volatile SharedIndexInformer<Pod> pods;
  private volatile SharedIndexInformer<Service> services;
  private volatile SharedIndexInformer<Event> podStartFailures;

  /**
   * @param namespace the namespace to watch, or null for all
   */
  SandboxInformers(KubernetesClient client, String namespace) {
    this.client = client;
    this.namespace = namespace;
  }

  /** Creates and starts the informers, each queueing its Sandbox key on {@code loop}. */
  CompletableFuture<Void> start(ReconcileLoop loop) {
    sandboxes = scoped(client.resources(Sandbox.class)).runnableInformer(0);
    sandboxes.addEventHandler(loop.handler(SandboxInformers::key));
    pods = scoped(client.pods()).withLabel(UpstreamKeys.SANDBOX_NAME_HASH).runnableInformer(0);
    pods.addEventHandler(loop.handler(SandboxInformers::ownerKey));
    services =
        scoped(client.services()).withLabel(UpstreamKeys.SANDBOX_NAME_HASH).runnableInformer(0);
    services.addEventHandler(loop.handler(SandboxInformers::ownerKey));
    // a pod that cannot start says so only in events: the kubelet's FailedCreatePodSandBox (a node
    // without the runtime class's handler, a CNI failure) would otherwise leave the Sandbox waiting
    podStartFailures =
        scoped(client.v1().events())
            .withField("reason", FAILED_CREATE_POD_SANDBOX)
            .runnableInformer(0);
    podStartFailures.addIndexers(
        Map.of(
            BY_POD_UID,
            e ->
                e.getInvolvedObject() == null || e.getInvolvedObject().getUid() == null
                    ? List.of()
                    : List.of(e.getInvolvedObject().getUid())));
    podStartFailures.addEventHandler(loop.handler(SandboxInformers::involvedPodKey));
    return CompletableFuture.allOf(
        pods.start().toCompletableFuture(),
        services.start().toCompletableFuture(),
        podStartFailures.start().toCompletableFuture(),
        sandboxes.start().toCompletableFuture());
  }

  private <T extends HasMetadata, L extends KubernetesResourceList<T>, R extends Resource<T>>
      FilterWatchListDeletable<T, L, R> scoped(MixedOperation<T, L, R> op) {
    return namespace == null ? op.inAnyNamespace() : op.inNamespace(namespace);
  }

  boolean started() {
    return sandboxes != null;
  }

  SharedIndexInformer<Sandbox> sandboxes() {
    return sandboxes;
  }

  SharedIndexInformer<Pod> pods() {
    return pods;
  }

  SharedIndexInformer<Service> services() {
    return services;
  }

  static String key(HasMetadata o) {
    return o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
  }

  static String ownerKey(HasMetadata o) {
    if (o.getMetadata().getOwnerReferences() == null) return null;
    for (OwnerReference r : o.getMetadata().getOwnerReferences()) {
      if (Boolean.TRUE.equals(r.getController())
          && "Sandbox".equals(r.getKind())
          && r.getApiVersion() != null
          && r.getApiVersion().startsWith(Sandbox.GROUP + "/")) {
        return o.getMetadata().getNamespace() + "/" + r.getName();
      }
    }
    return null;
  }

  /**
   * The pod an event is about, as a Sandbox key (a sandbox's pod has the sandbox's name); null
   * otherwise.
   */
  static String involvedPodKey(Event e) {
    if (e.getInvolvedObject() == null || !"Pod".equals(e.getInvolvedObject().getKind()))
      return null;
    return e.getInvolvedObject().getNamespace() + "/" + e.getInvolvedObject().getName();
  }

  /** The latest FailedCreatePodSandBox message for this pod, or null. */
  String podStartFailure(Pod pod) {
    SharedIndexInformer<Event> failures = podStartFailures;
    if (pod == null || failures == null || pod.getMetadata().getUid() == null) return null;
    return failures.getIndexer().byIndex(BY_POD_UID, pod.getMetadata().getUid()).stream()
        .max(Comparator.comparing(SandboxInformers::eventTime))
        .map(e -> e.getReason() + ": " + e.getMessage())
        .orElse(null);
  }

  private static String eventTime(Event e) {
    String t =
        e.getLastTimestamp() != null
            ? e.getLastTimestamp()
            : e.getEventTime() != null ? e.getEventTime().getTime() : null;
    return t == null ? "" : t;
  }

  /** Stops the informers that were started. */
  void close() {
    for (SharedIndexInformer<?> i :
        new SharedIndexInformer<?>[] {sandboxes, pods, services, podStartFailures}) {
      if (i != null) i.close();
    }
  }
}
