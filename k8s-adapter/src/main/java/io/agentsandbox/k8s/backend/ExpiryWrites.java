package io.agentsandbox.k8s.backend;

import io.agentsandbox.k8s.crd.ClaimShutdownPolicy;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.reconcile.ControllerRefs;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;

/**
 * The API writes of an expired claim ({@code spec.lifecycle}): {@code Delete} deletes the claim
 * (garbage collection takes the Sandbox), {@code DeleteForeground} does so with foreground
 * propagation, {@code Retain} (default) deletes the claim's Sandbox and keeps the claim with {@code
 * Ready=False}/{@code ClaimExpired}. Blocking: runs on the background lane. Thread-safe.
 */
final class ExpiryWrites {

  private final KubernetesClient client;
  private final ClaimStatusWriter status;

  ExpiryWrites(KubernetesClient client, ClaimStatusWriter status) {
    this.client = client;
    this.status = status;
  }

  static ClaimShutdownPolicy policyOf(SandboxClaim c) {
    return c.getSpec().getLifecycle().getShutdownPolicy() == null
        ? ClaimShutdownPolicy.Retain
        : c.getSpec().getLifecycle().getShutdownPolicy();
  }

  /**
   * Applies the claim's policy.
   *
   * @param sandbox the claim's Sandbox from the cache, or null
   * @throws KubernetesClientException when a write failed (the caller retries later)
   */
  void apply(SandboxClaim c, Sandbox sandbox, Instant at) {
    String ns = c.getMetadata().getNamespace();
    String name = c.getMetadata().getName();
    switch (policyOf(c)) {
      case Delete ->
          client
              .resources(SandboxClaim.class)
              .inNamespace(ns)
              .withName(name)
              .withPropagationPolicy(DeletionPropagation.BACKGROUND)
              .delete();
      case DeleteForeground ->
          client
              .resources(SandboxClaim.class)
              .inNamespace(ns)
              .withName(name)
              .withPropagationPolicy(DeletionPropagation.FOREGROUND)
              .delete();
      case Retain -> {
        OwnerReference ctl = sandbox == null ? null : ControllerRefs.of(sandbox);
        if (ctl != null && c.getMetadata().getUid().equals(ctl.getUid())) {
          client
              .resources(Sandbox.class)
              .inNamespace(ns)
              .withName(sandbox.getMetadata().getName())
              .delete();
        }
        status.writeCondition(
            c, KubernetesBackend.REASON_CLAIM_EXPIRED, "spec.lifecycle expired the claim at " + at);
      }
    }
  }
}
