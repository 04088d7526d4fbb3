package io.agentsandbox.k8s.backend;

import io.agentsandbox.core.model.LaunchType;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.crd.UpstreamKeys;
import io.agentsandbox.k8s.reconcile.ControllerRefs;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Repairs HTTP claims whose SandboxClaim exists without a status naming its sandbox {@link
 * #AFTER_MS} after it was made (its adoption or status write was lost, e.g. its answer lost while
 * the API server went away): the adoption is written again if a pool still owns the sandbox, else
 * the status if the claim owns it, from the caches; both writes are idempotent and go to the
 * k8s-write lane. Run by the claim controller's thread only; stateless.
 */
final class HttpClaimRepair {

  private static final Logger LOG = LoggerFactory.getLogger(HttpClaimRepair.class);

  /** How old an HTTP claim's SandboxClaim may be without its status before it is repaired. */
  static final long AFTER_MS = 15_000;

  private final ClusterCaches caches;
  private final WriteQueues queues;
  private final ClaimStatusWriter status;
  private final Bindings bindings;

  HttpClaimRepair(
      ClusterCaches caches, WriteQueues queues, ClaimStatusWriter status, Bindings bindings) {
    this.caches = caches;
    this.queues = queues;
    this.status = status;
    this.bindings = bindings;
  }

  /**
   * @param httpClaims claim id → namespace of the HTTP claims the controller holds
   * @param nowMs wall-clock time, epoch ms
   */
  void run(Map<String, String> httpClaims, long nowMs) {
    for (Map.Entry<String, String> e : httpClaims.entrySet()) {
      String ns = e.getValue();
      SandboxClaim c = caches.claim(ns, e.getKey());
      if (c == null
          || c.getMetadata().getDeletionTimestamp() != null
          || ClaimRequests.statusNamesSandbox(c)
          || c.getMetadata().getCreationTimestamp() == null) continue;
      long age;
      try {
        age = nowMs - Instant.parse(c.getMetadata().getCreationTimestamp()).toEpochMilli();
      } catch (DateTimeParseException ex) {
        continue;
      }
      String name = ClaimRequests.annotations(c).get(UpstreamKeys.SANDBOX_NAME);
      Sandbox sb = name == null ? null : caches.sandbox(ns, name);
      if (age < AFTER_MS || sb == null || sb.getMetadata().getDeletionTimestamp() != null) continue;
      var ctl = ControllerRefs.of(sb);
      if (ctl == null) continue;
      if ("SandboxWarmPool".equals(ctl.getKind())) {
        LOG.info(
            "claim {}: no adoption of {} {} s after its 201; writing it again",
            e.getKey(),
            name,
            age / 1000);
        bindings.completeAdoption(c, sb, LaunchType.WARM);
      } else if ("SandboxClaim".equals(ctl.getKind())
          && Objects.equals(ctl.getUid(), c.getMetadata().getUid())) {
        LOG.info(
            "claim {}: no status naming {} {} s after its 201; writing it again",
            e.getKey(),
            name,
            age / 1000);
        queues.write(
            () -> status.writeBound(ns, c.getMetadata().getName(), sb, c.getMetadata().getUid()));
      }
    }
  }
}
