package io.agentsandbox.k8s.backend;

import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.model.RecoveredSandbox;
import io.agentsandbox.core.port.PoolCatalogListener;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxTemplate;
import io.agentsandbox.k8s.crd.SandboxWarmPool;
import io.agentsandbox.k8s.crd.UpdateStrategyType;
import io.agentsandbox.k8s.crd.UpstreamKeys;
import io.agentsandbox.k8s.provision.TemplateSandboxes;
import io.agentsandbox.k8s.reconcile.ControllerRefs;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pools as the engine sees them: a {@code SandboxWarmPool} and its {@code SandboxTemplate} become a
 * {@link PoolSpec} declared to the catalog, and {@code updateStrategy: Recreate} rolls stale
 * members out. Owned by the claim controller's thread (its one caller); deletes run on the
 * background write lane.
 */
final class PoolDeclarations {

  private static final Logger LOG = LoggerFactory.getLogger(PoolDeclarations.class);

  private final ClusterCaches caches;
  private final PoolCatalogListener catalog;
  private final KubernetesClient client;
  private final WriteQueues queues;

  /** Posts a task to the owning thread (a delete's outcome comes back through it). */
  private final Consumer<Runnable> owner;

  /** Stale members ({@code ns/name}) whose delete a Recreate rollout sent. */
  private final Set<String> staleDeletes = new HashSet<>();

  PoolDeclarations(
      ClusterCaches caches,
      PoolCatalogListener catalog,
      KubernetesClient client,
      WriteQueues queues,
      Consumer<Runnable> owner) {
    this.caches = caches;
    this.catalog = catalog;
    this.client = client;
    this.queues = queues;
    this.owner = owner;
  }

  /** Declares the pool (with recovered sandboxes) when its template exists and it maps cleanly. */
  boolean declare(SandboxWarmPool p, List<RecoveredSandbox> recovered) {
    if (p.getMetadata().getDeletionTimestamp() != null) return false;
    String ns = p.getMetadata().getNamespace();
    SandboxTemplate t = caches.templateOf(p);
    if (t == null) {
      LOG.warn(
          "pool {}/{}: template {} not found; not declared yet",
          ns,
          p.getMetadata().getName(),
          p.getSpec() == null || p.getSpec().getSandboxTemplateRef() == null
              ? null
              : p.getSpec().getSandboxTemplateRef().getName());
      return false;
    }
    PoolSpec spec;
    try {
      spec = PoolSpecs.toSpec(p, t);
    } catch (IllegalArgumentException e) {
      LOG.warn("pool {}/{}: {}", ns, p.getMetadata().getName(), e.getMessage());
      return false;
    }
    catalog.declare(spec, recovered);
    return true;
  }

  /** The pools that use template {@code t}. */
  List<SandboxWarmPool> poolsOf(SandboxTemplate t) {
    return caches.allPools().stream()
        .filter(
            p ->
                p.getMetadata().getNamespace().equals(t.getMetadata().getNamespace())
                    && p.getSpec() != null
                    && p.getSpec().getSandboxTemplateRef() != null
                    && t.getMetadata()
                        .getName()
                        .equals(p.getSpec().getSandboxTemplateRef().getName()))
        .toList();
  }

  void deleted(Sandbox s) {
    staleDeletes.remove(
        ClusterCaches.key(s.getMetadata().getNamespace(), s.getMetadata().getName()));
  }

  /**
   * {@code updateStrategy: Recreate} deletes the pool's unclaimed members whose blueprint hash (or
   * template) is stale; {@code OnReplenish} (default) keeps them until claimed or deleted, while
   * new members are built from the current template. The delete carries the member's
   * resourceVersion, so a member adopted meanwhile is never touched; a member bound but not adopted
   * yet ({@code bound}) is skipped. The provisioner tells the engine the member is gone and the
   * pool replaces it.
   */
  void rollout(SandboxWarmPool p, Predicate<String> bound) {
    if (p.getSpec() == null
        || p.getSpec().getUpdateStrategy() == null
        || p.getSpec().getUpdateStrategy().getType() != UpdateStrategyType.Recreate) {
      return;
    }
    String ns = p.getMetadata().getNamespace();
    SandboxTemplate t = caches.templateOf(p);
    if (t == null) return;
    String hash;
    try {
      hash = TemplateSandboxes.blueprintHash(t);
    } catch (IllegalArgumentException e) {
      return;
    }
    String refHash = UpstreamKeys.nameHash(t.getMetadata().getName());
    for (Sandbox s : caches.allSandboxes()) {
      OwnerReference ctl = ControllerRefs.of(s);
      if (ctl == null
          || !"SandboxWarmPool".equals(ctl.getKind())
          || !Objects.equals(ctl.getUid(), p.getMetadata().getUid())
          || s.getMetadata().getDeletionTimestamp() != null) {
        continue;
      }
      Map<String, String> l =
          s.getMetadata().getLabels() == null ? Map.of() : s.getMetadata().getLabels();
      if (hash.equals(l.get(UpstreamKeys.SANDBOX_TEMPLATE_HASH))
          && refHash.equals(l.get(UpstreamKeys.SANDBOX_TEMPLATE_REF_HASH))) continue;
      String name = s.getMetadata().getName();
      String k = ClusterCaches.key(ns, name);
      if (bound.test(k) || !staleDeletes.add(k)) continue;
      String rv = s.getMetadata().getResourceVersion();
      LOG.info(
          "pool {}/{}: Recreate: deleting stale member {}", ns, p.getMetadata().getName(), name);
      boolean queued =
          queues.write(
              () -> {
                try {
                  client
                      .resources(Sandbox.class)
                      .inNamespace(ns)
                      .withName(name)
                      .lockResourceVersion(rv)
                      .delete();
                } catch (KubernetesClientException e) {
                  // 409: changed (adopted?) meanwhile; the next event re-checks
                  owner.accept(() -> staleDeletes.remove(k));
                  LOG.debug("stale member {}: not deleted: {}", name, e.getMessage());
                }
              });
      if (!queued) staleDeletes.remove(k);
    }
  }
}
