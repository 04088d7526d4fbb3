package io.agentsandbox.k8s.backend;

import io.agentsandbox.core.model.BindingRecord;
import io.agentsandbox.core.model.LaunchType;
import io.agentsandbox.core.port.BindingStore;
import io.agentsandbox.k8s.client.MergePatch;
import io.agentsandbox.k8s.crd.AgentSandboxAnnotations;
import io.agentsandbox.k8s.crd.LocalObjectRef;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.crd.SandboxClaimSpec;
import io.agentsandbox.k8s.crd.SandboxTemplate;
import io.agentsandbox.k8s.crd.UpstreamKeys;
import io.agentsandbox.k8s.provision.Fabric8SandboxProvisioner;
import io.agentsandbox.k8s.provision.TemplateSandboxes;
import io.agentsandbox.k8s.reconcile.ControllerRefs;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link BindingStore} of the Kubernetes backend: one API write makes a binding durable, and
 * the claim is answered right after it.
 *
 * <ul>
 *   <li>a {@code SandboxClaim}'s claim: its status names the sandbox (name, pod IPs, Ready);
 *   <li>a claim made over HTTP: its {@code SandboxClaim} is created with the sandbox named in an
 *       annotation.
 * </ul>
 *
 * Off the critical path follow, on the background lane, the adoption of the Sandbox (owner
 * reference, labels; {@link AdoptionPatch}) and, for HTTP claims, their status. A crash between the
 * two is completed by {@link CacheRecovery} from the claims' records before the pool could offer
 * the sandbox again. Thread-safe; every method returns at once.
 */
final class Bindings implements BindingStore {

  private static final Logger LOG = LoggerFactory.getLogger(Bindings.class);

  /** The attempt at which a failing adoption is first logged as a warning (then every 50th). */
  private static final int ADOPTION_WARN_AT = 5;

  /** The longest pause between two attempts of an adoption. */
  private static final long ADOPTION_MAX_BACKOFF_MS = 5_000;

  /**
   * Told of every binding made durable, before the claim is answered (its owning thread's FIFO).
   */
  interface Listener {
    /**
     * @param claimUid the SandboxClaim's uid; null for an HTTP claim answered from the journal
     *     before its SandboxClaim exists (told again with the uid once it does)
     * @param httpClaimId the claim id when the HTTP API made the claim, else null
     */
    void bound(String claimUid, String ns, String sandboxName, String httpClaimId);

    /** The HTTP claim {@code claimId} ended: its {@code SandboxClaim} is to be deleted. */
    void released(String claimId);

    /** Runs {@code r} after {@code delayMs} (an adoption retried). */
    void later(Runnable r, long delayMs);
  }

  private final KubernetesClient client;
  private final ClusterCaches caches;
  private final ClaimStatusWriter status;
  private final WriteQueues queues;
  private final Fabric8SandboxProvisioner provisioner;
  private final Set<String> labelDomains;
  private final KubernetesMetrics metrics;
  private volatile Listener listener;

  /** Per binding (bounded sample, for the figures): wait for a k8s-bind thread, then the write. */
  private final ConcurrentLinkedQueue<Long> queueNs = new ConcurrentLinkedQueue<>();

  private final ConcurrentLinkedQueue<Long> writeNs = new ConcurrentLinkedQueue<>();
  private final AtomicInteger samples = new AtomicInteger();

  /** Group commit of HTTP claims' bindings. */
  private final BindingJournal journal;

  /**
   * HTTP claims answered from the journal whose SandboxClaim is not created yet: false, or true
   * once the claim ended meanwhile (its creator then deletes or skips it).
   */
  private final Map<String, Boolean> uncreated = new ConcurrentHashMap<>();

  Bindings(
      KubernetesClient client,
      ClusterCaches caches,
      ClaimStatusWriter status,
      WriteQueues queues,
      Fabric8SandboxProvisioner provisioner,
      Set<String> labelDomains,
      KubernetesMetrics metrics) {
    this.client = client;
    this.caches = caches;
    this.status = status;
    this.queues = queues;
    this.provisioner = provisioner;
    this.labelDomains = labelDomains;
    this.metrics = metrics;
    this.journal =
        new BindingJournal(
            client, queues, this::journaled, (r, delayMs) -> listener.later(r, delayMs));
  }

  void setListener(Listener l) {
    this.listener = l;
  }

  @Override
  public void persist(BindingRecord binding, Consumer<Throwable> done) {
    long queued = System.nanoTime();
    if (!binding.claimId().startsWith(ClaimRequests.K8S_CLAIM_PREFIX)
        && BindingJournal.journals(binding.claimId())) {
      Sandbox member = caches.sandbox(binding.pool().namespace(), binding.sandboxName());
      if (member != null && member.getMetadata().getDeletionTimestamp() != null) {
        done.accept(new IllegalStateException("sandbox " + binding.sandboxName() + " is gone"));
        return;
      }
      uncreated.put(binding.claimId(), Boolean.FALSE);
      journal.append(
          binding,
          queued,
          e -> {
            if (e != null) uncreated.remove(binding.claimId());
            done.accept(e);
          });
      return;
    }
    if (!queues.bind(() -> bind(binding, queued, done))) {
      done.accept(new RejectedExecutionException("k8s-bind queue full"));
    }
  }

  @Override
  public void remove(String claimId) {
    if (!claimId.startsWith(ClaimRequests.K8S_CLAIM_PREFIX)) listener.released(claimId);
  }

  /** k8s-bind: the one write, the answer, then the adoption queued. */
  private void bind(BindingRecord b, long queued, Consumer<Throwable> done) {
    long started = System.nanoTime();
    String ns = b.pool().namespace();
    SandboxClaim claim;
    Sandbox member;
    try {
      member = caches.sandbox(ns, b.sandboxName());
      if (member == null)
        member = client.resources(Sandbox.class).inNamespace(ns).withName(b.sandboxName()).get();
      if (member == null || member.getMetadata().getDeletionTimestamp() != null)
        throw new IllegalStateException("sandbox " + b.sandboxName() + " is gone");
      boolean http = !b.claimId().startsWith(ClaimRequests.K8S_CLAIM_PREFIX);
      if (http) {
        claim = createHttpClaim(b);
      } else {
        String name = b.claimId().substring(b.claimId().indexOf('/') + 1);
        claim = caches.claim(ns, name);
        if (claim == null)
          claim = client.resources(SandboxClaim.class).inNamespace(ns).withName(name).get();
        if (claim == null || claim.getMetadata().getDeletionTimestamp() != null)
          throw new IllegalStateException("claim " + name + " is gone");
        status.writeBound(ns, name, member, claim.getMetadata().getUid());
      }
      listener.bound(claim.getMetadata().getUid(), ns, b.sandboxName(), http ? b.claimId() : null);
    } catch (RuntimeException e) {
      done.accept(e);
      return;
    }
    long wrote = System.nanoTime();
    metrics.binding(started - queued, wrote - started);
    if (samples.incrementAndGet() <= 100_000) {
      queueNs.add(started - queued);
      writeNs.add(wrote - started);
    }
    done.accept(null);
    SandboxClaim c = claim;
    queues.write(() -> adoptAndFinish(c, b.sandboxName(), b.launchType(), 1));
  }

  /**
   * k8s-bind, the journal's writer: {@code b} is durable in the journal. The controller learns of
   * the binding before the claim is answered; the claim's SandboxClaim, its adoption and status
   * follow on the background lane.
   */
  private void journaled(BindingRecord b, long queued, long started, long wrote) {
    listener.bound(null, b.pool().namespace(), b.sandboxName(), b.claimId());
    metrics.binding(started - queued, wrote - started);
    if (samples.incrementAndGet() <= 100_000) {
      queueNs.add(started - queued);
      writeNs.add(wrote - started);
    }
    queues.write(() -> createAfterAnswer(b, 1));
  }

  /** k8s-write: the SandboxClaim of a journaled HTTP claim, then its adoption and status. */
  private void createAfterAnswer(BindingRecord b, int attempt) {
    String ns = b.pool().namespace();
    if (Boolean.TRUE.equals(uncreated.get(b.claimId()))) {
      uncreated.remove(b.claimId());
      journal.retire(ns, b.claimId()); // ended before its SandboxClaim existed
      // An earlier attempt whose answer was lost may have created it all the same.
      if (attempt > 1) deleteNow(ns, b.claimId());
      return;
    }
    SandboxClaim claim;
    try {
      claim = createHttpClaim(b);
    } catch (KubernetesClientException e) {
      if (attempt == ADOPTION_WARN_AT || attempt % 50 == 0)
        LOG.warn(
            "claim {}: SandboxClaim not created after {} attempts ({}); retrying",
            b.claimId(),
            attempt,
            e.getMessage());
      listener.later(
          () -> queues.write(() -> createAfterAnswer(b, attempt + 1)),
          Math.min(ADOPTION_MAX_BACKOFF_MS, 100L << Math.min(attempt, 16)));
      return;
    }
    journal.retire(ns, b.claimId());
    if (!uncreated.remove(b.claimId(), Boolean.FALSE)) {
      uncreated.remove(b.claimId()); // it ended while being created
      deleteNow(ns, b.claimId());
      return;
    }
    listener.bound(claim.getMetadata().getUid(), ns, b.sandboxName(), b.claimId());
    adoptAndFinish(claim, b.sandboxName(), b.launchType(), 1);
  }

  /**
   * Start-up, before the caches are read: creates the SandboxClaim of every journaled binding whose
   * claim was answered but not yet created when the previous run stopped.
   *
   * @param namespace the watched namespace, null for all
   * @return how many SandboxClaims were created
   */
  int replayJournal(String namespace) {
    int[] created = {0};
    journal.replay(
        namespace,
        b -> {
          if (replayOne(b)) created[0]++;
        });
    return created[0];
  }

  private boolean replayOne(BindingRecord b) {
    String ns = b.pool().namespace();
    if (client.resources(SandboxClaim.class).inNamespace(ns).withName(b.claimId()).get() != null)
      return false;
    Sandbox s = client.resources(Sandbox.class).inNamespace(ns).withName(b.sandboxName()).get();
    if (s == null || s.getMetadata().getDeletionTimestamp() != null) return false; // it ended
    OwnerReference ctl = ControllerRefs.of(s);
    if (ctl != null && "SandboxClaim".equals(ctl.getKind()))
      return false; // adopted: its SandboxClaim existed, and is gone (the claim ended)
    LOG.info("claim {}: answered before a restart; creating its SandboxClaim", b.claimId());
    createHttpClaim(b);
    return true;
  }

  /** Queues the adoption of a sandbox bound to {@code claim} whose adoption has not happened. */
  void completeAdoption(SandboxClaim claim, Sandbox sandbox, LaunchType launchType) {
    queues.write(() -> adoptAndFinish(claim, sandbox.getMetadata().getName(), launchType, 1));
  }

  /**
   * k8s-write: adopts the member; for a claim the HTTP API made, then writes its status. Retried
   * with backoff (capped at 5 s) until it lands: a bound member stays out of its pool's offer in
   * the meantime, and a claim or sandbox gone meanwhile ends it.
   */
  private void adoptAndFinish(
      SandboxClaim claim, String sandboxName, LaunchType launchType, int attempt) {
    String ns = claim.getMetadata().getNamespace();
    try {
      Sandbox adopted = adopt(ns, sandboxName, claim, launchType);
      if (adopted != null
          && ClaimRequests.annotations(claim).containsKey(KubernetesBackend.CLAIM_ID)) {
        status.writeBound(ns, claim.getMetadata().getName(), adopted, claim.getMetadata().getUid());
      }
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404 || e.getCode() == 422) return; // the claim or sandbox is gone
      if (attempt == ADOPTION_WARN_AT || attempt % 50 == 0) {
        LOG.warn(
            "claim {}: sandbox {} bound, adoption not written after {} attempts ({}); retrying",
            claim.getMetadata().getName(),
            sandboxName,
            attempt,
            e.getMessage());
      }
      listener.later(
          () -> queues.write(() -> adoptAndFinish(claim, sandboxName, launchType, attempt + 1)),
          Math.min(ADOPTION_MAX_BACKOFF_MS, 100L << Math.min(attempt, 16)));
    } catch (IllegalStateException e) {
      LOG.debug("claim {}: not adopted: {}", claim.getMetadata().getName(), e.getMessage());
    }
  }

  /**
   * Moves a pool member to the claim ({@link AdoptionPatch}), 4 attempts on conflicts; the member
   * as patched, or null when it is gone.
   *
   * @throws IllegalStateException when another claim owns the member (never: logged as an error)
   */
  Sandbox adopt(String ns, String sandboxName, SandboxClaim claim, LaunchType launchType) {
    String claimUid = claim.getMetadata().getUid();
    var res = client.resources(Sandbox.class).inNamespace(ns).withName(sandboxName);
    Sandbox s = caches.sandbox(ns, sandboxName);
    KubernetesClientException last = null;
    for (int attempt = 0; attempt < 4; attempt++) {
      if (s == null || attempt > 0) s = res.get();
      if (s == null || s.getMetadata().getDeletionTimestamp() != null) return null;
      OwnerReference ctl = ControllerRefs.of(s);
      if (ctl != null && "SandboxClaim".equals(ctl.getKind())) {
        if (claimUid.equals(ctl.getUid())) return s; // already ours (a retried write went through)
        LOG.error(
            "sandbox {}/{} is already owned by claim {}; not adopted by {}",
            ns,
            sandboxName,
            ctl.getName(),
            claim.getMetadata().getName());
        throw new IllegalStateException("sandbox " + sandboxName + " is owned by another claim");
      }
      Map<String, String> extraLabels = new LinkedHashMap<>();
      Map<String, String> extraAnnotations = new LinkedHashMap<>();
      SandboxTemplate t =
          caches.template(
              ns,
              String.valueOf(ClaimRequests.annotations(s).get(UpstreamKeys.SANDBOX_TEMPLATE_REF)));
      try {
        TemplateSandboxes.additionalPodMetadata(
            claim, t, labelDomains, extraLabels, extraAnnotations);
      } catch (TemplateSandboxes.RejectedClaim e) {
        extraLabels.clear(); // checked when the claim was admitted; the template changed since
        extraAnnotations.clear();
      }
      Map<String, Object> patch =
          AdoptionPatch.of(
              s,
              claim,
              KubernetesBackend.claimOwner(claim),
              launchType,
              extraLabels,
              extraAnnotations);
      provisioner.forget(ns, sandboxName); // it leaves the provisioner's view: not a deletion
      try {
        return MergePatch.apply(client, Sandbox.class, ns, sandboxName, null, status.toJson(patch));
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) throw e;
        last = e; // the reconciler wrote its status meanwhile: re-read and retry
      }
    }
    throw last;
  }

  private SandboxClaim createHttpClaim(BindingRecord b) {
    SandboxClaim c = new SandboxClaim();
    ObjectMeta m = new ObjectMeta();
    m.setName(b.claimId());
    m.setNamespace(b.pool().namespace());
    Map<String, String> ann = new LinkedHashMap<>();
    ann.put(KubernetesBackend.CLAIM_ID, b.claimId());
    ann.put(AgentSandboxAnnotations.TENANT, b.tenant());
    ann.put(UpstreamKeys.SANDBOX_NAME, b.sandboxName());
    if (b.ttlMs() > 0) ann.put(KubernetesBackend.TTL_MS, Long.toString(b.ttlMs()));
    if (b.expiresAtEpochMs() > 0)
      ann.put(KubernetesBackend.EXPIRES_AT_MS, Long.toString(b.expiresAtEpochMs()));
    m.setAnnotations(ann);
    m.setLabels(Map.of(UpstreamKeys.CREATED_BY, "controller"));
    c.setMetadata(m);
    SandboxClaimSpec spec = new SandboxClaimSpec();
    spec.setWarmPoolRef(new LocalObjectRef(b.pool().name()));
    c.setSpec(spec);
    try {
      return client
          .resources(SandboxClaim.class)
          .inNamespace(b.pool().namespace())
          .resource(c)
          .create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) throw e;
      SandboxClaim existing =
          client
              .resources(SandboxClaim.class)
              .inNamespace(b.pool().namespace())
              .withName(b.claimId())
              .get();
      if (existing == null
          || !b.claimId()
              .equals(ClaimRequests.annotations(existing).get(KubernetesBackend.CLAIM_ID))) throw e;
      return existing;
    }
  }

  /** k8s-write: deletes the SandboxClaim of an HTTP claim that ended. */
  void deleteHttpClaim(String ns, String claimId) {
    if (uncreated.replace(claimId, Boolean.FALSE, Boolean.TRUE))
      return; // not created yet: its creator skips or deletes it
    queues.write(() -> deleteNow(ns, claimId));
  }

  private void deleteNow(String ns, String claimId) {
    try {
      client.resources(SandboxClaim.class).inNamespace(ns).withName(claimId).delete();
    } catch (KubernetesClientException e) {
      LOG.debug("claim {}: delete failed: {}", claimId, e.getMessage());
    }
  }

  /** See {@link KubernetesBackend#drainBindTimesMs}. */
  long[][] drainTimesMs() {
    long[][] out = {drain(queueNs), drain(writeNs)};
    samples.set(0);
    return out;
  }

  private static long[] drain(java.util.Queue<Long> q) {
    List<Long> out = new ArrayList<>();
    Long v;
    while ((v = q.poll()) != null) out.add(TimeUnit.NANOSECONDS.toMillis(v));
    return out.stream().mapToLong(Long::longValue).sorted().toArray();
  }
}
