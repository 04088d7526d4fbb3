package io.agentsandbox.k8s.backend;

import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.crd.SandboxTemplate;
import io.agentsandbox.k8s.provision.TemplateSandboxes;
import io.agentsandbox.k8s.reconcile.ControllerRefs;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Upstream's cold path: a Sandbox named after the claim, owned by it, built from the template plus
 * the claim's env, volume claim templates and pod metadata; then the claim's status names it (2
 * writes; Ready is forwarded once the Sandbox becomes Ready). Blocking: runs on the claim-path lane
 * ({@code k8s-bind}). Stateless apart from its collaborators; thread-safe.
 */
final class ColdStarts {

  private static final Logger LOG = LoggerFactory.getLogger(ColdStarts.class);

  /** Why a cold start did not bind its claim. */
  record Failure(String reason, String message) {}

  private final KubernetesClient client;
  private final ClaimStatusWriter status;
  private final Set<String> labelDomains;

  ColdStarts(KubernetesClient client, ClaimStatusWriter status, Set<String> labelDomains) {
    this.client = client;
    this.status = status;
    this.labelDomains = labelDomains;
  }

  /** Starts the claim's Sandbox and writes its status; null when bound, else why not. */
  Failure start(SandboxClaim c, SandboxTemplate t) {
    String ns = c.getMetadata().getNamespace();
    String name = c.getMetadata().getName();
    String uid = c.getMetadata().getUid();
    try {
      Sandbox want;
      try {
        want = TemplateSandboxes.coldForClaim(c, t, KubernetesBackend.claimOwner(c), labelDomains);
      } catch (TemplateSandboxes.RejectedClaim e) {
        return new Failure(e.reason(), e.getMessage());
      }
      Sandbox sb;
      try {
        sb = client.resources(Sandbox.class).inNamespace(ns).resource(want).create();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) throw e;
        sb = client.resources(Sandbox.class).inNamespace(ns).withName(name).get();
        OwnerReference ctl = sb == null ? null : ControllerRefs.of(sb);
        if (ctl == null || !uid.equals(ctl.getUid())) {
          return new Failure(
              KubernetesBackend.REASON_RECONCILER_ERROR,
              "a Sandbox named " + name + " exists and is not controlled by this claim");
        }
      }
      LOG.debug("claim {}/{}: cold Sandbox created", ns, name);
      status.writeBound(ns, name, sb, uid);
      return null;
    } catch (KubernetesClientException e) {
      return new Failure(
          KubernetesBackend.REASON_RECONCILER_ERROR, "cold start failed: " + e.getMessage());
    }
  }
}
