package io.agentsandbox.k8s.backend;

import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.crd.SandboxConditions;
import io.agentsandbox.k8s.reconcile.ControllerRefs;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Upstream forwards a bound Sandbox's {@code Ready} (and mirrors {@code Finished}) to its claim's
 * status: when they, or the pod IPs, differ from what the claim shows, the claim's status is
 * rewritten on the claim-path lane. One write per claim at a time: a change seen meanwhile is
 * forwarded after it, from the latest cached Sandbox, so writes never land out of order. Owned by
 * the claim controller's thread.
 */
final class ReadyForwarding {

  private static final Logger LOG = LoggerFactory.getLogger(ReadyForwarding.class);

  private final ClusterCaches caches;
  private final WriteQueues queues;
  private final ClaimStatusWriter status;
  private final Consumer<Runnable> owner;
  private final Predicate<String> expiredUid;

  /** Claims ({@code ns/name}) with a write in flight → whether another is due after it. */
  private final Map<String, Boolean> forwarding = new HashMap<>();

  ReadyForwarding(
      ClusterCaches caches,
      WriteQueues queues,
      ClaimStatusWriter status,
      Consumer<Runnable> owner,
      Predicate<String> expiredUid) {
    this.caches = caches;
    this.queues = queues;
    this.status = status;
    this.owner = owner;
    this.expiredUid = expiredUid;
  }

  /** A Sandbox changed (owning thread). */
  void forward(Sandbox sb) {
    SandboxClaim c = claimOf(sb);
    if (c == null) return;
    String ns = sb.getMetadata().getNamespace();
    String k = ClusterCaches.key(ns, c.getMetadata().getName());
    if (forwarding.containsKey(k)) {
      forwarding.put(k, Boolean.TRUE);
      return;
    }
    if (shows(c, sb)) return;
    forwarding.put(k, Boolean.FALSE);
    String name = sb.getMetadata().getName();
    boolean queued =
        queues.bind(
            () -> {
              try {
                status.writeBound(ns, c.getMetadata().getName(), sb, c.getMetadata().getUid());
              } catch (KubernetesClientException e) {
                LOG.debug("claim {}: Ready not forwarded: {}", k, e.getMessage());
              }
              owner.accept(
                  () -> {
                    if (Boolean.TRUE.equals(forwarding.remove(k))) {
                      Sandbox latest = caches.sandbox(ns, name);
                      if (latest != null) forward(latest);
                    }
                  });
            });
    if (!queued) forwarding.remove(k);
  }

  /** True when the claim's status already shows the Sandbox's Ready, Finished and pod IPs. */
  private static boolean shows(SandboxClaim c, Sandbox sb) {
    Condition sbReady = ClaimStatusWriter.condition(sb, SandboxConditions.READY);
    Condition claimReady = ClaimStatusWriter.condition(c, SandboxConditions.READY);
    Condition sbFinished = ClaimStatusWriter.condition(sb, SandboxConditions.FINISHED);
    Condition claimFinished = ClaimStatusWriter.condition(c, SandboxConditions.FINISHED);
    List<String> haveIps =
        c.getStatus().getSandbox().getPodIPs() == null
            ? List.of()
            : c.getStatus().getSandbox().getPodIPs();
    return Objects.equals(
            sbReady == null ? "Unknown" : sbReady.getStatus(),
            claimReady == null ? null : claimReady.getStatus())
        && Objects.equals(
            sbFinished == null ? null : sbFinished.getStatus(),
            claimFinished == null ? null : claimFinished.getStatus())
        && haveIps.equals(ClaimStatusWriter.ips(sb));
  }

  /** The live claim that owns {@code sb} and whose status names it, or null. */
  private SandboxClaim claimOf(Sandbox sb) {
    OwnerReference ctl = ControllerRefs.of(sb);
    if (ctl == null || !"SandboxClaim".equals(ctl.getKind()) || expiredUid.test(ctl.getUid()))
      return null;
    SandboxClaim c = caches.claim(sb.getMetadata().getNamespace(), ctl.getName());
    if (c == null
        || !Objects.equals(c.getMetadata().getUid(), ctl.getUid())
        || !ClaimRequests.statusNamesSandbox(c)
        || !sb.getMetadata().getName().equals(c.getStatus().getSandbox().getName())
        || ClaimStatusWriter.shows(c, KubernetesBackend.REASON_CLAIM_EXPIRED)) {
      return null; // not bound yet: the binding writes the status
    }
    return c;
  }
}
