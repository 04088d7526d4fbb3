package io.agentsandbox.k8s.backend;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.crd.SandboxTemplate;
import io.agentsandbox.k8s.crd.SandboxWarmPool;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The backend's four informers ({@code SandboxTemplate}, {@code SandboxWarmPool}, {@code Sandbox},
 * {@code SandboxClaim}) and look-ups in their caches. The caches are fabric8's thread-safe stores:
 * any thread may read them; nothing here writes to the API server or mutates a cached object.
 */
final class ClusterCaches implements AutoCloseable {

  final SharedIndexInformer<SandboxTemplate> templates;
  final SharedIndexInformer<SandboxWarmPool> pools;
  final SharedIndexInformer<Sandbox> sandboxes;
  final SharedIndexInformer<SandboxClaim> claims;

  /** Builds (does not start) the informers; {@code namespace} null watches all namespaces. */
  ClusterCaches(KubernetesClient client, String namespace) {
    var templateOp = client.resources(SandboxTemplate.class);
    templates =
        (namespace == null ? templateOp.inAnyNamespace() : templateOp.inNamespace(namespace))
            .runnableInformer(30_000);
    var poolOp = client.resources(SandboxWarmPool.class);
    pools =
        (namespace == null ? poolOp.inAnyNamespace() : poolOp.inNamespace(namespace))
            .runnableInformer(30_000);
    var sandboxOp = client.resources(Sandbox.class);
    sandboxes =
        (namespace == null ? sandboxOp.inAnyNamespace() : sandboxOp.inNamespace(namespace))
            .runnableInformer(0);
    var claimOp = client.resources(SandboxClaim.class);
    claims =
        (namespace == null ? claimOp.inAnyNamespace() : claimOp.inNamespace(namespace))
            .runnableInformer(5_000);
  }

  /** Starts the four informers; completes once all have synced. */
  CompletableFuture<Void> start() {
    return CompletableFuture.allOf(
        templates.start().toCompletableFuture(),
        pools.start().toCompletableFuture(),
        sandboxes.start().toCompletableFuture(),
        claims.start().toCompletableFuture());
  }

  static String key(String ns, String name) {
    return ns + "/" + name;
  }

  static PoolKey keyOf(SandboxWarmPool p) {
    return new PoolKey(p.getMetadata().getNamespace(), p.getMetadata().getName());
  }

  SandboxTemplate template(String ns, String name) {
    return name == null ? null : templates.getStore().getByKey(key(ns, name));
  }

  SandboxWarmPool pool(String ns, String name) {
    return name == null ? null : pools.getStore().getByKey(key(ns, name));
  }

  Sandbox sandbox(String ns, String name) {
    return name == null ? null : sandboxes.getStore().getByKey(key(ns, name));
  }

  SandboxClaim claim(String ns, String name) {
    return name == null ? null : claims.getStore().getByKey(key(ns, name));
  }

  SandboxClaim claim(String key) {
    return claims.getStore().getByKey(key);
  }

  /** The template a pool names, or null (no pool, no reference, or no such template). */
  SandboxTemplate templateOf(SandboxWarmPool pool) {
    if (pool == null || pool.getSpec() == null || pool.getSpec().getSandboxTemplateRef() == null)
      return null;
    return template(
        pool.getMetadata().getNamespace(), pool.getSpec().getSandboxTemplateRef().getName());
  }

  /** The pool a claim names, or null. */
  SandboxWarmPool poolOf(SandboxClaim c) {
    return c.getSpec() == null || c.getSpec().getWarmPoolRef() == null
        ? null
        : pool(c.getMetadata().getNamespace(), c.getSpec().getWarmPoolRef().getName());
  }

  List<SandboxWarmPool> allPools() {
    return pools.getStore().list();
  }

  List<Sandbox> allSandboxes() {
    return sandboxes.getStore().list();
  }

  List<SandboxClaim> allClaims() {
    return claims.getStore().list();
  }

  @Override
  public void close() {
    for (SharedIndexInformer<?> i : List.of(claims, pools, templates, sandboxes)) i.close();
  }
}
