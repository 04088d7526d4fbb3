package io.agentsandbox.k8s.backend;

import io.agentsandbox.core.internal.DaemonThreads;
import io.agentsandbox.core.logging.TraceParent;
import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.ClaimRequest;
import io.agentsandbox.core.model.ClaimTicket;
import io.agentsandbox.core.model.OnEmpty;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RecoveredSandbox;
import io.agentsandbox.core.model.RejectReason;
import io.agentsandbox.core.port.ClaimSubmitter;
import io.agentsandbox.core.port.ProvisionListener;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.crd.SandboxTemplate;
import io.agentsandbox.k8s.crd.SandboxWarmPool;
import io.agentsandbox.k8s.provision.Fabric8SandboxProvisioner;
import io.agentsandbox.k8s.provision.TemplateSandboxes;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The claim controller: turns {@code SandboxClaim}s into engine claims and keeps every claim's
 * state (in flight, bound, expiring) on one thread, {@code k8s-claims}. Informer handlers, the
 * engine's answers, the binding store and the expiry timer only post messages to it ({@code on*}
 * methods, any thread); its state is plain collections read and written only there. It never
 * blocks: every API write goes to a {@link WriteQueues} lane and its outcome comes back as another
 * message.
 */
final class ClaimController implements Bindings.Listener, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ClaimController.class);

  private final ClusterCaches caches;
  private final WriteQueues queues;
  private final ClaimStatusWriter status;
  private final Bindings bindings;
  private final ColdStarts coldStarts;
  private final ExpiryWrites expiryWrites;
  private final ReadyForwarding readiness;
  private final Fabric8SandboxProvisioner provisioner;
  private final KubernetesBackend.Options options;
  private final ScheduledThreadPoolExecutor loop;
  private final ClaimExpiry expiry;

  // Owned by the k8s-claims thread.
  private ClaimSubmitter submitter;
  private PoolDeclarations declarations;
  private boolean active;

  /** Claims ({@code ns/name}) handed to the engine (or a write) and not answered yet. */
  private final Set<String> inFlight = new HashSet<>();

  /** Claim uid → {@code ns/sandbox} it is bound to (never bound again). */
  private final Map<String, String> bound = new HashMap<>();

  /** The sandboxes ({@code ns/name}) of {@link #bound}. */
  private final Set<String> boundSandboxes = new HashSet<>();

  /** HTTP claim id → namespace of its SandboxClaim. */
  private final Map<String, String> httpClaims = new HashMap<>();

  /** Uids of claims {@code spec.lifecycle} expired (never bound again, Ready not forwarded). */
  private final Set<String> expired = new HashSet<>();

  ClaimController(
      ClusterCaches caches,
      WriteQueues queues,
      ClaimStatusWriter status,
      Bindings bindings,
      ColdStarts coldStarts,
      ExpiryWrites expiryWrites,
      Fabric8SandboxProvisioner provisioner,
      KubernetesBackend.Options options) {
    this.caches = caches;
    this.queues = queues;
    this.status = status;
    this.bindings = bindings;
    this.provisioner = provisioner;
    this.options = options;
    this.coldStarts = coldStarts;
    this.expiryWrites = expiryWrites;
    this.loop = new ScheduledThreadPoolExecutor(1, DaemonThreads.named("k8s-claims"));
    this.expiry = new ClaimExpiry(options.clock(), this::expire);
    this.readiness = new ReadyForwarding(caches, queues, status, this::post, expired::contains);
  }

  // ------------------------------------------------------------------ messages (any thread)

  /** Posts {@code r} to the controller's thread; dropped (logged) once it is closed. */
  void post(Runnable r) {
    try {
      loop.execute(
          () -> {
            try {
              r.run();
            } catch (RuntimeException e) {
              LOG.warn("claim controller: {}", e.toString(), e);
            }
          });
    } catch (RejectedExecutionException e) {
      LOG.debug("claim controller closed; message dropped");
    }
  }

  void onClaim(SandboxClaim c) {
    post(() -> claim(c));
  }

  void onClaimDeleted(SandboxClaim c) {
    post(() -> claimDeleted(c));
  }

  void onSandbox(Sandbox s) {
    post(
        () -> {
          if (active) readiness.forward(s);
        });
  }

  void onSandboxDeleted(Sandbox s) {
    post(
        () -> {
          boundSandboxes.remove(
              ClusterCaches.key(s.getMetadata().getNamespace(), s.getMetadata().getName()));
          declarations.deleted(s);
        });
  }

  void onPool(SandboxWarmPool p) {
    post(() -> poolChanged(p));
  }

  void onPoolDeleted(SandboxWarmPool p, PoolDeletedCallback remove) {
    post(
        () -> {
          if (active) remove.removed(ClusterCaches.keyOf(p));
        });
  }

  /** The catalog's removal of a deleted pool. */
  interface PoolDeletedCallback {
    void removed(PoolKey key);
  }

  void onTemplate(SandboxTemplate t) {
    post(
        () -> {
          if (!active) return;
          for (SandboxWarmPool p : declarations.poolsOf(t)) poolChanged(p);
        });
  }

  @Override
  public void bound(String claimUid, String ns, String sandboxName, String httpClaimId) {
    post(
        () -> {
          String sb = ClusterCaches.key(ns, sandboxName);
          if (claimUid != null) bound.put(claimUid, sb);
          boundSandboxes.add(sb);
          if (httpClaimId != null) httpClaims.put(httpClaimId, ns);
        });
  }

  @Override
  public void released(String claimId) {
    post(
        () -> {
          String ns = httpClaims.remove(claimId);
          if (ns != null) bindings.deleteHttpClaim(ns, claimId);
        });
  }

  @Override
  public void later(Runnable r, long delayMs) {
    try {
      loop.schedule(r, delayMs, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      LOG.debug("claim controller closed; retry dropped");
    }
  }

  // ------------------------------------------------------------------ start-up

  /**
   * Recovers from the synced caches, declares every pool, then admits claims. Runs on the
   * controller's thread; the caller waits (bounded) for it.
   *
   * @return how many pools were declared and sandboxes recovered
   */
  int[] start(ClaimSubmitter submitter, PoolDeclarations declarations) throws Exception {
    return loop.submit(
            () -> {
              this.submitter = submitter;
              this.declarations = declarations;
              CacheRecovery.Result r =
                  CacheRecovery.recover(caches.allSandboxes(), caches.allClaims());
              r.bound().forEach(this::markBound);
              httpClaims.putAll(r.httpClaims());
              for (CacheRecovery.Orphan o : r.orphans())
                provisioner.delete(o.pool(), o.name(), ProvisionListener.NOOP);
              for (CacheRecovery.StatusFix f : r.statusFixes()) {
                queues.write(
                    () ->
                        status.writeBound(
                            f.claim().getMetadata().getNamespace(),
                            f.claim().getMetadata().getName(),
                            f.sandbox()));
              }
              for (CacheRecovery.Adoption a : r.adoptions()) {
                LOG.info(
                    "claim {}: completing the adoption of {} a restart interrupted",
                    a.claim().getMetadata().getName(),
                    a.sandbox().getMetadata().getName());
                bindings.completeAdoption(a.claim(), a.sandbox(), a.launchType());
              }
              int declared = 0;
              for (SandboxWarmPool p : caches.allPools()) {
                List<RecoveredSandbox> mine =
                    r.members().getOrDefault(ClusterCaches.keyOf(p), List.of());
                if (declarations.declare(p, mine)) declared++;
              }
              active = true;
              for (SandboxClaim c : caches.allClaims()) claim(c);
              // Sandbox events before now were not forwarded (e.g. a member that became Ready
              // while its claim's status still said otherwise across a restart).
              for (Sandbox sb : caches.allSandboxes()) readiness.forward(sb);
              for (SandboxWarmPool p : caches.allPools()) declarations.rollout(p, this::isBound);
              loop.scheduleWithFixedDelay(expiry::tick, 100, 100, TimeUnit.MILLISECONDS);
              HttpClaimRepair repair = new HttpClaimRepair(caches, queues, status, bindings);
              loop.scheduleWithFixedDelay(
                  () -> {
                    if (active) repair.run(httpClaims, System.currentTimeMillis());
                  },
                  HttpClaimRepair.AFTER_MS,
                  HttpClaimRepair.AFTER_MS,
                  TimeUnit.MILLISECONDS);
              return new int[] {declared, r.recovered()};
            })
        .get(120, TimeUnit.SECONDS);
  }

  private void markBound(String uid, String sandboxKey) {
    bound.put(uid, sandboxKey);
    boundSandboxes.add(sandboxKey);
  }

  private boolean isBound(String sandboxKey) {
    return boundSandboxes.contains(sandboxKey);
  }

  // ------------------------------------------------------------------ pools

  private void poolChanged(SandboxWarmPool p) {
    if (!active) return;
    declarations.declare(p, List.of());
    declarations.rollout(p, this::isBound);
    String ns = p.getMetadata().getNamespace();
    String pool = p.getMetadata().getName();
    for (SandboxClaim c : caches.allClaims()) {
      if (ns.equals(c.getMetadata().getNamespace())
          && pool.equals(ClaimRequests.poolNameOf(c))
          && !inFlight.contains(ClusterCaches.key(ns, c.getMetadata().getName()))) {
        claim(c); // claims waiting for this pool (or its template) get another try
      }
    }
  }

  // ------------------------------------------------------------------ claims

  /**
   * A new or changed claim. Expiry first ({@code spec.lifecycle}); then an unbound claim is checked
   * against the caches (pool, template, {@code additionalPodMetadata}) and becomes a ticket for its
   * pool's shard, or, when {@code env} / {@code volumeClaimTemplates} force a cold start
   * (upstream), a Sandbox named after it.
   */
  private void claim(SandboxClaim c) {
    if (!active || c.getMetadata().getDeletionTimestamp() != null) return;
    String ns = c.getMetadata().getNamespace();
    String k = ClusterCaches.key(ns, c.getMetadata().getName());
    String uid = c.getMetadata().getUid();
    if (expired.contains(uid) || ClaimStatusWriter.shows(c, KubernetesBackend.REASON_CLAIM_EXPIRED))
      return;
    Instant at;
    try {
      at = ClaimExpiry.expiryOf(c);
    } catch (IllegalArgumentException e) {
      queues.write(() -> status.writeCondition(c, "InvalidLifecycle", e.getMessage()));
      return;
    }
    if (expiry.isDue(at)) {
      expire(k);
      return;
    }
    expiry.schedule(k, at);
    if (ClaimRequests.boundSandboxOf(c) != null || bound.containsKey(uid)) return;
    if (ClaimRequests.annotations(c).containsKey(KubernetesBackend.CLAIM_ID))
      return; // made by the HTTP API: the engine binds it already
    if (!inFlight.add(k)) return;
    String poolName = ClaimRequests.poolNameOf(c);
    SandboxWarmPool pool = caches.pool(ns, poolName);
    if (pool == null) {
      notAdmitted(
          c,
          KubernetesBackend.REASON_WARM_POOL_NOT_FOUND,
          poolName == null
              ? "spec.warmPoolRef.name is required"
              : "no SandboxWarmPool " + ns + "/" + poolName);
      return;
    }
    SandboxTemplate t = caches.templateOf(pool);
    if (t == null) {
      notAdmitted(
          c,
          KubernetesBackend.REASON_TEMPLATE_NOT_FOUND,
          "SandboxWarmPool "
              + ns
              + "/"
              + poolName
              + " names SandboxTemplate '"
              + (pool.getSpec() == null || pool.getSpec().getSandboxTemplateRef() == null
                  ? null
                  : pool.getSpec().getSandboxTemplateRef().getName())
              + "', which does not exist");
      return;
    }
    try {
      TemplateSandboxes.additionalPodMetadata(
          c, t, options.labelDomains(), new HashMap<>(), new HashMap<>());
    } catch (TemplateSandboxes.RejectedClaim e) {
      notAdmitted(c, e.reason(), e.getMessage());
      return;
    }
    if (ClaimRequests.forcesCold(c)) {
      coldStart(c, t);
      return;
    }
    submit(c);
  }

  private void submit(SandboxClaim c) {
    String k = ClusterCaches.key(c.getMetadata().getNamespace(), c.getMetadata().getName());
    ClaimRequest request;
    OnEmpty asked;
    try {
      asked = ClaimRequests.askedOnEmpty(c);
      request = ClaimRequests.request(c, asked, options.defaultWaitMs(), options.maxWaitMs());
    } catch (IllegalArgumentException e) {
      notAdmitted(c, "InvalidAnnotation", e.getMessage());
      return;
    }
    boolean coldWhenEmpty = asked != OnEmpty.WAIT && asked != OnEmpty.REJECT;
    if (!submitter.submit(new Ticket(request, c, coldWhenEmpty))) {
      inFlight.remove(k); // shard queue full: the next resync retries
    }
  }

  /**
   * Not admitted: {@code Ready=False} with {@code reason}; in flight until written, so a retry
   * cannot bind the claim in between. The next resync or pool event retries.
   */
  private void notAdmitted(SandboxClaim c, String reason, String message) {
    String k = ClusterCaches.key(c.getMetadata().getNamespace(), c.getMetadata().getName());
    if (ClaimStatusWriter.shows(c, reason)) {
      inFlight.remove(k);
      return;
    }
    LOG.info("claim {}: {}: {}", k, reason, message);
    boolean queued =
        queues.bind(
            () -> {
              status.writeCondition(c, reason, message);
              post(() -> inFlight.remove(k));
            });
    if (!queued) inFlight.remove(k);
  }

  /** Upstream's cold path, on the claim-path lane; the claim stays in flight until it is done. */
  private void coldStart(SandboxClaim c, SandboxTemplate t) {
    String uid = c.getMetadata().getUid();
    String ns = c.getMetadata().getNamespace();
    String k = ClusterCaches.key(ns, c.getMetadata().getName());
    if (bound.containsKey(uid)) return;
    markBound(uid, k);
    boolean queued =
        queues.bind(
            () -> {
              ColdStarts.Failure f = coldStarts.start(c, t);
              post(
                  () -> {
                    if (f == null) {
                      inFlight.remove(k);
                    } else {
                      boundSandboxes.remove(bound.remove(uid));
                      notAdmitted(c, f.reason(), f.message());
                    }
                  });
            });
    if (!queued) {
      boundSandboxes.remove(bound.remove(uid));
      inFlight.remove(k);
    }
  }

  private void claimDeleted(SandboxClaim c) {
    String ns = c.getMetadata().getNamespace();
    String k = ClusterCaches.key(ns, c.getMetadata().getName());
    String uid = c.getMetadata().getUid();
    inFlight.remove(k);
    String sb = bound.remove(uid);
    if (sb != null) boundSandboxes.remove(sb);
    expired.remove(uid);
    expiry.schedule(k, null);
    if (ClaimRequests.poolNameOf(c) == null) return;
    String claimId = ClaimRequests.claimIdOf(c);
    httpClaims.remove(claimId);
    submitter.release(
        new PoolKey(ns, ClaimRequests.poolNameOf(c)), claimId, ClaimRequests.tenantOf(c));
  }

  /** A SandboxClaim's claim in the engine; its outcome comes back as a message. */
  private final class Ticket extends ClaimTicket {
    private final SandboxClaim claim;
    private final boolean coldWhenEmpty;
    private final String traceId;

    Ticket(ClaimRequest request, SandboxClaim claim, boolean coldWhenEmpty) {
      super(request);
      this.claim = claim;
      this.coldWhenEmpty = coldWhenEmpty;
      this.traceId =
          TraceParent.traceId(ClaimRequests.annotations(claim).get(TraceParent.ANNOTATION));
    }

    @Override
    public String traceId() {
      return traceId;
    }

    @Override
    protected void onComplete(ClaimOutcome outcome) {
      post(() -> completed(this, outcome));
    }
  }

  /**
   * The engine answered a SandboxClaim's claim. An empty pool (or the {@code wait-ms} of a claim
   * without {@code on-empty}) goes to upstream's cold path; {@code on-empty: wait} waits another
   * round; other rejections become the claim's reason.
   */
  private void completed(Ticket t, ClaimOutcome outcome) {
    SandboxClaim asked = t.claim;
    String ns = asked.getMetadata().getNamespace();
    String k = ClusterCaches.key(ns, asked.getMetadata().getName());
    String uid = asked.getMetadata().getUid();
    SandboxClaim current = caches.claim(k);
    boolean alive =
        current != null
            && Objects.equals(current.getMetadata().getUid(), uid)
            && current.getMetadata().getDeletionTimestamp() == null
            && !expired.contains(uid);
    if (outcome instanceof ClaimOutcome.Assigned || !alive) {
      inFlight.remove(k);
      return;
    }
    RejectReason reason = ((ClaimOutcome.Rejected) outcome).reason();
    String message = ((ClaimOutcome.Rejected) outcome).message();
    switch (reason) {
      case OVERLOADED, QUEUE_FULL -> inFlight.remove(k); // the next resync (5 s) retries
      case BINDING_NOT_DURABLE -> {
        // The engine deleted the sandbox; the next resync binds the claim again.
        String sb = bound.remove(uid);
        if (sb != null) boundSandboxes.remove(sb);
        inFlight.remove(k);
      }
      case POOL_EMPTY, DEADLINE -> {
        SandboxTemplate tpl = caches.templateOf(caches.poolOf(current));
        if (t.coldWhenEmpty && tpl != null) {
          coldStart(current, tpl);
        } else if (reason == RejectReason.DEADLINE) {
          submit(current); // on-empty: wait: another round (still in flight)
        } else {
          rejected(current, "ClaimRejected", reason, message);
        }
      }
      case UNKNOWN_POOL ->
          rejected(
              current,
              caches.poolOf(current) != null && caches.templateOf(caches.poolOf(current)) == null
                  ? KubernetesBackend.REASON_TEMPLATE_NOT_FOUND
                  : KubernetesBackend.REASON_WARM_POOL_NOT_FOUND,
              reason,
              message);
      default -> rejected(current, "ClaimRejected", reason, message);
    }
  }

  private void rejected(SandboxClaim c, String reason, RejectReason why, String message) {
    if (bound.containsKey(c.getMetadata().getUid())) {
      inFlight.remove(ClusterCaches.key(c.getMetadata().getNamespace(), c.getMetadata().getName()));
      return;
    }
    notAdmitted(c, reason, why.code() + ": " + message);
  }

  // ------------------------------------------------------------------ expiry

  /**
   * {@code spec.lifecycle} expired the claim (timer tick or a claim event, on this thread): the
   * engine's claim ends (a waiting one is cancelled; a bound one's sandbox is deleted), then the
   * policy's writes ({@link ExpiryWrites}) run on the background lane.
   */
  private void expire(String claimKey) {
    SandboxClaim c = caches.claim(claimKey);
    if (c == null || c.getMetadata().getDeletionTimestamp() != null) return;
    Instant at;
    try {
      at = ClaimExpiry.expiryOf(c);
    } catch (IllegalArgumentException e) {
      return;
    }
    if (!expiry.isDue(at)) {
      expiry.schedule(claimKey, at); // moved meanwhile
      return;
    }
    String uid = c.getMetadata().getUid();
    if (!expired.add(uid)) return;
    LOG.info("claim {}: expired ({}; policy {})", claimKey, at, ExpiryWrites.policyOf(c));
    if (ClaimRequests.poolNameOf(c) != null) {
      submitter.release(
          new PoolKey(c.getMetadata().getNamespace(), ClaimRequests.poolNameOf(c)),
          ClaimRequests.claimIdOf(c),
          ClaimRequests.tenantOf(c));
    }
    String sbName =
        ClaimRequests.statusNamesSandbox(c) ? c.getStatus().getSandbox().getName() : null;
    Sandbox sb = caches.sandbox(c.getMetadata().getNamespace(), sbName);
    boolean queued =
        queues.write(
            () -> {
              try {
                expiryWrites.apply(c, sb, at);
              } catch (KubernetesClientException e) {
                LOG.warn("claim {}: expiry not applied: {}", claimKey, e.getMessage());
                post(() -> expired.remove(uid)); // retried at the next resync
              }
            });
    if (!queued) expired.remove(uid);
  }

  @Override
  public void close() {
    loop.shutdownNow();
  }
}
