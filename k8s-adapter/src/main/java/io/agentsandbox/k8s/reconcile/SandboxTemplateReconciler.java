package io.agentsandbox.k8s.reconcile;

import io.agentsandbox.k8s.client.MergePatch;
import io.agentsandbox.k8s.crd.NetworkPolicyManagement;
import io.agentsandbox.k8s.crd.SandboxTemplate;
import io.agentsandbox.k8s.crd.UpstreamKeys;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SandboxTemplate → its shared NetworkPolicy ({@code <template>-network-policy}, owned by the
 * template; upstream's secure default unless the template gives rules; deleted when {@code
 * networkPolicyManagement: Unmanaged}) and the {@code sandbox-template-ref-hash} label on the
 * template itself. Level-based and idempotent; writes only differences.
 *
 * <p>Threads: informer handlers only queue keys; {@code template-reconciler-<n>} workers run the
 * passes. SandboxTemplate has no status, so a failure is logged and counted, and retried.
 */
public final class SandboxTemplateReconciler implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SandboxTemplateReconciler.class);
  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  private final KubernetesClient client;
  private final String namespace;
  private final ReconcileLoop loop;
  private final AtomicLong apiWrites = new AtomicLong();
  private SharedIndexInformer<SandboxTemplate> templates;
  private SharedIndexInformer<NetworkPolicy> policies;

  /**
   * @param namespace the namespace to watch, or null for all
   * @param workers reconcile threads (at least 1)
   */
  public SandboxTemplateReconciler(KubernetesClient client, String namespace, int workers) {
    this.client = Objects.requireNonNull(client, "client");
    this.namespace = namespace;
    this.loop =
        new ReconcileLoop("template-reconciler", workers, this::reconcile, (k, e) -> {}, LOG);
  }

  /** Starts the informers and workers; completes when both informers have synced. */
  public CompletableFuture<Void> start() {
    templates =
        namespace == null
            ? client.resources(SandboxTemplate.class).inAnyNamespace().runnableInformer(0)
            : client.resources(SandboxTemplate.class).inNamespace(namespace).runnableInformer(0);
    templates.addEventHandler(loop.handler(SandboxInformers::key));
    policies =
        namespace == null
            ? client
                .network()
                .v1()
                .networkPolicies()
                .inAnyNamespace()
                .withLabel(UpstreamKeys.SANDBOX_TEMPLATE_REF_HASH)
                .runnableInformer(0)
            : client
                .network()
                .v1()
                .networkPolicies()
                .inNamespace(namespace)
                .withLabel(UpstreamKeys.SANDBOX_TEMPLATE_REF_HASH)
                .runnableInformer(0);
    policies.addEventHandler(loop.handler(SandboxTemplateReconciler::ownerKey));
    CompletableFuture<Void> synced =
        CompletableFuture.allOf(
            policies.start().toCompletableFuture(), templates.start().toCompletableFuture());
    loop.start();
    return synced;
  }

  static String ownerKey(HasMetadata o) {
    if (o.getMetadata().getOwnerReferences() == null) return null;
    for (OwnerReference r : o.getMetadata().getOwnerReferences()) {
      if (Boolean.TRUE.equals(r.getController()) && "SandboxTemplate".equals(r.getKind())) {
        return o.getMetadata().getNamespace() + "/" + r.getName();
      }
    }
    return null;
  }

  /** One pass over the template {@code namespace/name}. Worker threads only. */
  void reconcile(String key) {
    SandboxTemplate t = templates.getIndexer().getByKey(key);
    if (t == null || t.getMetadata().getDeletionTimestamp() != null)
      return; // GC removes the policy
    String ns = t.getMetadata().getNamespace();
    String name = t.getMetadata().getName();
    String hash = UpstreamKeys.nameHash(name);
    Map<String, String> labels = t.getMetadata().getLabels();
    if (labels == null || !hash.equals(labels.get(UpstreamKeys.SANDBOX_TEMPLATE_REF_HASH))) {
      apiWrites.incrementAndGet();
      MergePatch.apply(
          client,
          SandboxTemplate.class,
          ns,
          name,
          null,
          "{\"metadata\":{\"labels\":{\""
              + UpstreamKeys.SANDBOX_TEMPLATE_REF_HASH
              + "\":\""
              + hash
              + "\"}}}");
    }

    String npName = SandboxTemplateResources.networkPolicyName(name);
    NetworkPolicy existing = policies.getIndexer().getByKey(ns + "/" + npName);
    boolean owned = SandboxTemplateResources.isControlledBy(existing, t);
    if (t.getSpec().getNetworkPolicyManagement() == NetworkPolicyManagement.Unmanaged) {
      if (owned) {
        apiWrites.incrementAndGet();
        client.network().v1().networkPolicies().inNamespace(ns).withName(npName).delete();
      }
      return;
    }
    NetworkPolicy desired = SandboxTemplateResources.networkPolicy(t);
    if (existing == null) {
      apiWrites.incrementAndGet();
      try {
        client.network().v1().networkPolicies().inNamespace(ns).resource(desired).create();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) throw e;
      }
    } else if (!owned) {
      LOG.warn(
          "template {}: networkpolicy {} exists and is not controlled by the template; left alone",
          key,
          npName);
    } else if (!Objects.equals(
        SandboxTemplateResources.specHash(existing), SandboxTemplateResources.specHash(desired))) {
      NetworkPolicy copy = JSON.clone(existing);
      copy.setSpec(desired.getSpec());
      copy.getMetadata().setAnnotations(desired.getMetadata().getAnnotations());
      apiWrites.incrementAndGet();
      client.network().v1().networkPolicies().inNamespace(ns).resource(copy).update();
    }
  }

  /** API writes issued so far. */
  public long apiWrites() {
    return apiWrites.get();
  }

  /** Failed passes so far (each is retried). */
  public long errors() {
    return loop.errors();
  }

  @Override
  public void close() {
    if (templates != null) templates.close();
    if (policies != null) policies.close();
    loop.close();
  }
}
