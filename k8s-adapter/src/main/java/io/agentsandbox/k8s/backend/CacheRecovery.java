package io.agentsandbox.k8s.backend;

import io.agentsandbox.core.model.BindingRecord;
import io.agentsandbox.core.model.LaunchType;
import io.agentsandbox.core.model.OnEmpty;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RecoveredSandbox;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.crd.SandboxConditions;
import io.agentsandbox.k8s.crd.UpstreamKeys;
import io.agentsandbox.k8s.reconcile.ControllerRefs;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restart recovery from the informer caches, before any pool is declared. Pure: reads the cached
 * objects it is given and returns what to do; no API calls, any one thread.
 *
 * <p>A claim's binding is durable once its record names the sandbox: {@code status.sandbox.name}
 * ({@code SandboxClaim}s) or the {@code sandbox-name} annotation (claims made by the HTTP API); the
 * adoption of the Sandbox follows. So:
 *
 * <ul>
 *   <li>a claim-owned Sandbox is bound to its claim (its claim's status is rewritten when it does
 *       not name it yet);
 *   <li>a pool-owned Sandbox a live claim's record names is bound to that claim, and its adoption
 *       is completed, before the pool could offer it again (a crash between the two writes);
 *   <li>any other Ready pool-owned Sandbox is an unbound member; one not Ready is deleted.
 * </ul>
 *
 * A sandbox is bound to at most one claim: the first live claim naming it, in cache order (two
 * never do: the engine hands each member out once, and a claim's record is written before any other
 * claim could be given it).
 */
final class CacheRecovery {

  private static final Logger LOG = LoggerFactory.getLogger(CacheRecovery.class);

  /** A pool member whose adoption a crash interrupted. */
  record Adoption(SandboxClaim claim, Sandbox sandbox, LaunchType launchType) {}

  /** A claim-owned Sandbox whose claim's status does not name it. */
  record StatusFix(SandboxClaim claim, Sandbox sandbox) {}

  /** A pool member to delete (not Ready, and no claim's). */
  record Orphan(PoolKey pool, String name) {}

  /**
   * What recovery found.
   *
   * @param members per pool: unbound members and bound sandboxes (with their binding)
   * @param bound claim uid → {@code namespace/sandbox} of every binding found
   * @param httpClaims claim id → namespace of every bound claim the HTTP API made
   */
  record Result(
      Map<PoolKey, List<RecoveredSandbox>> members,
      List<Orphan> orphans,
      List<Adoption> adoptions,
      List<StatusFix> statusFixes,
      Map<String, String> bound,
      Map<String, String> httpClaims) {

    int recovered() {
      return members.values().stream().mapToInt(List::size).sum();
    }
  }

  private CacheRecovery() {}

  static Result recover(List<Sandbox> sandboxes, List<SandboxClaim> claims) {
    Map<String, SandboxClaim> claimByKey = new HashMap<>();
    Map<String, SandboxClaim> namedBy = new HashMap<>();
    for (SandboxClaim c : claims) {
      if (c.getMetadata().getDeletionTimestamp() != null) continue;
      String ns = c.getMetadata().getNamespace();
      claimByKey.put(ClusterCaches.key(ns, c.getMetadata().getName()), c);
      String sb = ClaimRequests.boundSandboxOf(c);
      if (sb != null && ClaimRequests.poolNameOf(c) != null) {
        SandboxClaim first = namedBy.putIfAbsent(ClusterCaches.key(ns, sb), c);
        if (first != null)
          LOG.error(
              "claims {} and {} both name sandbox {}; kept for {}",
              first.getMetadata().getName(),
              c.getMetadata().getName(),
              sb,
              first.getMetadata().getName());
      }
    }
    Result r =
        new Result(
            new HashMap<>(),
            new ArrayList<>(),
            new ArrayList<>(),
            new ArrayList<>(),
            new HashMap<>(),
            new HashMap<>());
    for (Sandbox s : sandboxes) {
      ObjectMeta m = s.getMetadata();
      if (m.getDeletionTimestamp() != null) continue;
      OwnerReference ctl = ControllerRefs.of(s);
      if (ctl == null) continue;
      String ns = m.getNamespace();
      if ("SandboxWarmPool".equals(ctl.getKind())) {
        SandboxClaim c = namedBy.get(ClusterCaches.key(ns, m.getName()));
        if (c != null) {
          LaunchType lt = LaunchType.WARM;
          bind(r, c, s, lt);
          r.adoptions.add(new Adoption(c, s, lt));
        } else if (isReady(s)) {
          r.members
              .computeIfAbsent(new PoolKey(ns, ctl.getName()), k -> new ArrayList<>())
              .add(new RecoveredSandbox(m.getName(), ClaimStatusWriter.ips(s), null));
        } else {
          r.orphans.add(new Orphan(new PoolKey(ns, ctl.getName()), m.getName()));
        }
      } else if ("SandboxClaim".equals(ctl.getKind())) {
        r.bound.put(ctl.getUid(), ClusterCaches.key(ns, m.getName()));
        SandboxClaim c = claimByKey.get(ClusterCaches.key(ns, ctl.getName()));
        if (c == null
            || !Objects.equals(c.getMetadata().getUid(), ctl.getUid())
            || ClaimRequests.poolNameOf(c) == null) {
          continue; // the claim is gone: garbage collection removes its sandbox
        }
        boolean cold =
            "cold"
                .equals(m.getLabels() == null ? null : m.getLabels().get(UpstreamKeys.LAUNCH_TYPE));
        if (cold && m.getName().equals(c.getMetadata().getName())) {
          continue; // upstream's cold path (named after the claim): not the engine's
        }
        bind(r, c, s, cold ? LaunchType.COLD : LaunchType.WARM);
        if (!ClaimRequests.statusNamesSandbox(c)) r.statusFixes.add(new StatusFix(c, s));
      }
    }
    return r;
  }

  private static void bind(Result r, SandboxClaim c, Sandbox s, LaunchType lt) {
    String ns = c.getMetadata().getNamespace();
    PoolKey pool = new PoolKey(ns, ClaimRequests.poolNameOf(c));
    String claimId = ClaimRequests.claimIdOf(c);
    if (!claimId.startsWith(ClaimRequests.K8S_CLAIM_PREFIX)) r.httpClaims.put(claimId, ns);
    Map<String, String> ann = ClaimRequests.annotations(c);
    long ttlMs = ClaimRequests.parseLong(ann.get(KubernetesBackend.TTL_MS), 0);
    long expires = ClaimRequests.parseLong(ann.get(KubernetesBackend.EXPIRES_AT_MS), 0);
    BindingRecord b =
        new BindingRecord(
            claimId,
            pool,
            s.getMetadata().getName(),
            ClaimRequests.tenantOf(c),
            0,
            OnEmpty.WAIT,
            lt,
            ttlMs,
            expires);
    r.bound.put(c.getMetadata().getUid(), ClusterCaches.key(ns, s.getMetadata().getName()));
    r.members
        .computeIfAbsent(pool, k -> new ArrayList<>())
        .add(new RecoveredSandbox(s.getMetadata().getName(), ClaimStatusWriter.ips(s), b));
  }

  static boolean isReady(Sandbox s) {
    Condition c = ClaimStatusWriter.condition(s, SandboxConditions.READY);
    return c != null
        && "True".equals(c.getStatus())
        && s.getStatus().getPodIPs() != null
        && !s.getStatus().getPodIPs().isEmpty();
  }
}
