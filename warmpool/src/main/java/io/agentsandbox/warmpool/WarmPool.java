package io.agentsandbox.warmpool;

import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.ClaimRequest;
import io.agentsandbox.core.model.ClaimTicket;
import io.agentsandbox.core.model.LaunchType;
import io.agentsandbox.core.model.OnEmpty;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.model.PoolStats;
import io.agentsandbox.core.model.RejectReason;
import io.agentsandbox.core.model.SandboxRef;
import io.agentsandbox.core.port.PoolMetrics;
import io.agentsandbox.warmpool.internal.DeadlineHeap;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * One warm pool's state machine: its sandboxes (starting, ready, claimed, deleting), the claims
 * waiting for one, and replenishment back to the target. Owned by one thread (its shard's event
 * loop); not thread-safe; pure: time comes in as arguments, effects go out through {@link
 * PoolActions} and {@link ClaimTicket#complete}.
 *
 * <p>A released sandbox is deleted, never handed to a second claim. Members that do not become
 * ready within the readiness grace period are deleted and replaced. A claim that finds no ready
 * sandbox follows its {@link OnEmpty} policy. The target is {@code spec.replicas} unclaimed members
 * plus one per claim waiting for a warm sandbox.
 */
public final class WarmPool {

  /** Result of {@link #release}. */
  public enum ReleaseResult {
    /** The claim's sandbox is being deleted. */
    RELEASED,
    /** The claim was still waiting; it was answered with {@link RejectReason#CANCELLED}. */
    CANCELLED,
    /** The pool holds no such claim. */
    UNKNOWN
  }

  private final WarmPoolPolicy policy;
  private final CreationGate gate;
  private final PoolActions actions;
  private final PoolMetrics metrics;
  private final String backendName;

  // Owner thread only
  private PoolSpec spec;
  private boolean removed;
  private final HashMap<String, Member> members = new HashMap<>();
  private final ArrayDeque<Member> ready = new ArrayDeque<>();

  /** Every starting member, pool and cold, in creation order (for the readiness grace check). */
  private final LinkedHashMap<String, Member> starting = new LinkedHashMap<>();

  private int startingCold;
  private int deleting;
  private final HashMap<String, Member> claimed = new HashMap<>();
  private final HashMap<String, ParkedClaim> parkedById = new HashMap<>();
  private final PendingClaims pending = new PendingClaims();
  private final DeadlineHeap<ParkedClaim> waitDeadlines = new DeadlineHeap<>();
  private final DeadlineHeap<Member> ttlDeadlines = new DeadlineHeap<>();
  private final TenantLedger tenants = new TenantLedger();
  private final AdmissionControl admission;
  private final TargetController sizing;
  private final ReplenishPlanner planner;
  private final SandboxNames names;
  private long warmAssigned;
  private long coldAssigned;
  private long hits;

  /**
   * @param spec the pool as declared
   * @param policy scheduler-wide knobs
   * @param actions where creates, deletes and ended claims go
   * @param metrics the pool's counters
   * @param backendName shown in every {@link SandboxRef}
   * @param seed picks where this pool's sequence of sandbox names starts
   */
  public WarmPool(
      PoolSpec spec,
      WarmPoolPolicy policy,
      PoolActions actions,
      PoolMetrics metrics,
      String backendName,
      long seed) {
    this(
        spec,
        policy,
        SizingPolicy.DEFAULTS,
        CreationGate.UNLIMITED,
        actions,
        metrics,
        backendName,
        seed);
  }

  /**
   * @param sizing knobs of demand-driven sizing (used when the spec has {@code autoscale})
   * @param gate per-runtime-class creation limits shared with other pools
   */
  public WarmPool(
      PoolSpec spec,
      WarmPoolPolicy policy,
      SizingPolicy sizing,
      CreationGate gate,
      PoolActions actions,
      PoolMetrics metrics,
      String backendName,
      long seed) {
    this.spec = Objects.requireNonNull(spec, "spec");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.gate = Objects.requireNonNull(gate, "gate");
    this.sizing = new TargetController(Objects.requireNonNull(sizing, "sizing"), spec);
    this.admission = new AdmissionControl(policy, gate);
    this.planner = new ReplenishPlanner(policy);
    gate.registerPool(spec.runtimeClass());
    this.actions = Objects.requireNonNull(actions, "actions");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.backendName = Objects.requireNonNull(backendName, "backendName");
    this.names = new SandboxNames(spec.key().name(), seed);
  }

  public PoolKey key() {
    return spec.key();
  }

  public PoolSpec spec() {
    return spec;
  }

  // ---------------------------------------------------------------- claims

  /**
   * Takes a ready sandbox for the claim, or parks it, or turns it away, per its policy. A rejection
   * is handed to {@link ClaimTicket#complete}; a binding to {@link PoolActions#bindingMade}, whose
   * owner completes the ticket; {@link ClaimOutcome.Pending} means the ticket is completed later
   * (by {@link #onSandboxReady}, {@link #onTick} or {@link #release}).
   */
  public ClaimOutcome tryAssign(ClaimTicket ticket, long nowNs) {
    ClaimRequest request = ticket.request();
    if (removed) return reject(ticket, RejectReason.POOL_REMOVED, "pool was removed", 0);
    sizing.onArrival(nowNs);
    int cap = admission.tenantCap(spec);
    if (tenants.isAtCap(request.tenant(), cap)) {
      return reject(
          ticket,
          RejectReason.TENANT_QUOTA,
          "tenant '" + request.tenant() + "' already holds " + cap + " claims on pool " + key(),
          1_000);
    }
    Member member = ready.pollFirst();
    if (member != null) {
      tenants.add(request.tenant(), +1);
      hits++;
      ClaimOutcome outcome = bind(member, ticket, LaunchType.WARM, nowNs);
      replenish(nowNs);
      return outcome;
    }
    return assignSlowPath(ticket, nowNs);
  }

  private ClaimOutcome assignSlowPath(ClaimTicket ticket, long nowNs) {
    ClaimRequest request = ticket.request();
    if (request.onEmpty() == OnEmpty.REJECT || request.waitNs() == 0) {
      return reject(
          ticket,
          RejectReason.POOL_EMPTY,
          "pool " + key() + " has no ready sandbox",
          policy.emptyRetryAfterMs());
    }
    ClaimOutcome refused = refuseToWait(ticket);
    if (refused != null) return refused;
    tenants.add(request.tenant(), +1);
    if (request.onEmpty() == OnEmpty.COLD) {
      Member member = startMember(nowNs);
      ParkedClaim parked = new ParkedClaim(ticket, nowNs, member);
      member.coldFor = parked;
      startingCold++;
      park(parked);
      actions.createSandbox(key(), member.name, spec.blueprint());
    } else {
      ParkedClaim parked = new ParkedClaim(ticket, nowNs, null);
      park(parked);
      pending.add(parked);
      replenish(nowNs);
    }
    return ClaimOutcome.Pending.INSTANCE;
  }

  /**
   * Admission of a claim that would wait (see {@link AdmissionControl}); a full room is shared
   * max-min fairly among tenants (see {@link #admitByDisplacing}). Null when admitted.
   */
  private ClaimOutcome refuseToWait(ClaimTicket ticket) {
    AdmissionControl.Refusal refusal =
        admission.refuseToWait(
            key(),
            spec.runtimeClass(),
            ticket.request().onEmpty() == OnEmpty.COLD,
            parkedById.size(),
            pending.size(),
            startingPool(),
            sizing.leadTimeP90Ns());
    if (refusal == null || admitByDisplacing(ticket, refusal.retryAfterMs())) return null;
    return reject(ticket, RejectReason.OVERLOADED, refusal.message(), refusal.retryAfterMs());
  }

  /**
   * Fair admission into a full room: a claim waiting for a warm sandbox whose tenant, counting it,
   * would still have fewer claims waiting than the tenant with the most takes the place of that
   * tenant's last-served waiting claim (its lowest priority class, newest in it; never one of
   * higher priority than the newcomer), which is answered {@link RejectReason#OVERLOADED} exactly
   * as a refusal would be. A tie refuses the newcomer. The room's size does not change. Cold-start
   * claims neither displace nor are displaced (each has its own starting member). True when the
   * newcomer may wait.
   */
  private boolean admitByDisplacing(ClaimTicket ticket, long retryAfterMs) {
    ClaimRequest request = ticket.request();
    if (request.onEmpty() != OnEmpty.WAIT) return false;
    ParkedClaim victim = pending.displaceableFor(request.tenant(), request.priority());
    if (victim == null) return false;
    String tenant = victim.ticket.request().tenant();
    endParked(
        victim,
        RejectReason.OVERLOADED,
        "pool "
            + key()
            + " has no room for more waiting claims and tenant '"
            + tenant
            + "' has the most waiting ("
            + pending.waitingOf(tenant)
            + "): its newest gave way to a tenant with fewer; retry later",
        retryAfterMs);
    return true;
  }

  /**
   * Sandboxes per second this pool can expect to get ready: {@code maxStarting} over the learned
   * lead time, capped by the creation gate's share for its runtime class. A slow backend shows up
   * as a longer learned lead time, so the figure follows it.
   */
  public double creationThroughputPerSecond() {
    return admission.throughputPerSecond(spec.runtimeClass(), sizing.leadTimeP90Ns());
  }

  private int startingPool() {
    return starting.size() - startingCold;
  }

  private void park(ParkedClaim parked) {
    ClaimRequest request = parked.ticket.request();
    parkedById.put(request.claimId(), parked);
    waitDeadlines.add(parked, request.deadlineNs());
  }

  private ClaimOutcome bind(Member member, ClaimTicket ticket, LaunchType launchType, long nowNs) {
    ClaimRequest request = ticket.request();
    long ttlNs = request.ttlNs();
    long expiresAtNs = ttlNs > 0 ? nowNs + ttlNs : 0;
    ClaimOutcome.Assigned assigned =
        new ClaimOutcome.Assigned(
            request.claimId(),
            member.ref,
            launchType,
            Math.max(0, nowNs - request.receivedAtNs()),
            expiresAtNs);
    member.state = Member.State.CLAIMED;
    member.claim = request;
    member.assignment = assigned;
    claimed.put(request.claimId(), member);
    if (ttlNs > 0) ttlDeadlines.add(member, expiresAtNs);
    if (launchType == LaunchType.WARM) warmAssigned++;
    else coldAssigned++;
    metrics.claimAssigned(launchType, assigned.waitedNs());
    actions.bindingMade(ticket, assigned);
    return assigned;
  }

  /** Counts a claim for this pool that its owner turned away before it reached the pool. */
  public void countRejected(RejectReason reason) {
    metrics.claimRejected(reason);
  }

  private ClaimOutcome reject(
      ClaimTicket ticket, RejectReason reason, String message, long retryAfterMs) {
    ClaimOutcome.Rejected rejected = new ClaimOutcome.Rejected(reason, message, retryAfterMs);
    metrics.claimRejected(reason);
    ticket.complete(rejected);
    return rejected;
  }

  /**
   * Ends a claim: a bound claim's sandbox is deleted (never reused); a waiting claim is answered
   * with {@link RejectReason#CANCELLED}.
   */
  public ReleaseResult release(String claimId, long nowNs) {
    Member member = claimed.remove(claimId);
    if (member != null) {
      endBinding(member, false);
      replenish(nowNs);
      return ReleaseResult.RELEASED;
    }
    ParkedClaim parked = parkedById.get(claimId);
    if (parked != null) {
      endParked(parked, RejectReason.CANCELLED, "claim was released while it waited", 0);
      replenish(nowNs);
      return ReleaseResult.CANCELLED;
    }
    return ReleaseResult.UNKNOWN;
  }

  private void endBinding(Member member, boolean byTtl) {
    ttlDeadlines.remove(member);
    tenants.add(member.claim.tenant(), -1);
    metrics.claimReleased(byTtl);
    actions.claimEnded(member.claim.claimId());
    deleteMember(member);
  }

  private void endParked(
      ParkedClaim parked, RejectReason reason, String message, long retryAfterMs) {
    String claimId = parked.claimId();
    parkedById.remove(claimId);
    waitDeadlines.remove(parked);
    if (parked.coldMember == null) {
      pending.remove(parked);
    } else {
      Member cold = parked.coldMember;
      cold.coldFor = null;
      if (cold.state == Member.State.STARTING) startingCold--;
      // NOTE: the cold member keeps starting and joins the pool when ready; surplus is trimmed.
    }
    tenants.add(parked.ticket.request().tenant(), -1);
    actions.claimEnded(claimId);
    reject(parked.ticket, reason, message, retryAfterMs);
  }

  /** The claim with this id, bound or waiting, or null. */
  public ClaimView findClaim(String claimId) {
    Member member = claimed.get(claimId);
    if (member != null) return new ClaimView(member.claim, member.assignment);
    ParkedClaim parked = parkedById.get(claimId);
    return parked == null ? null : new ClaimView(parked.ticket.request(), null);
  }

  // ---------------------------------------------------------------- backend events

  /** A sandbox this pool asked for is up. */
  public void onSandboxReady(String sandboxName, List<String> addresses, long nowNs) {
    Member member = members.get(sandboxName);
    if (member == null || member.state != Member.State.STARTING) return;
    leaveStarting(member);
    sizing.onLeadTimeObserved(nowNs - member.createdAtNs);
    member.ref = new SandboxRef(sandboxName, key(), spec.runtimeClass(), addresses, backendName);
    metrics.sandboxReady(nowNs - member.createdAtNs);
    planner.onReady();
    ParkedClaim cold = member.coldFor;
    if (cold != null) {
      startingCold--;
      member.coldFor = null;
      parkedById.remove(cold.claimId());
      waitDeadlines.remove(cold);
      bind(member, cold.ticket, LaunchType.COLD, nowNs);
    } else {
      offerReady(member, nowNs);
    }
    replenish(nowNs);
  }

  private void offerReady(Member member, long nowNs) {
    ParkedClaim next = pending.poll();
    if (next != null) {
      parkedById.remove(next.claimId());
      waitDeadlines.remove(next);
      bind(member, next.ticket, LaunchType.WARM, nowNs);
    } else {
      member.state = Member.State.READY;
      ready.addLast(member);
    }
  }

  /** A sandbox of this pool failed to start or died. */
  public void onSandboxFailed(String sandboxName, String reason, long nowNs) {
    Member member = members.remove(sandboxName);
    if (member == null) return;
    switch (member.state) {
      case STARTING -> {
        leaveStarting(member);
        metrics.sandboxFailed(false);
        planner.onCreateFailed(nowNs);
        ParkedClaim cold = member.coldFor;
        if (cold != null) {
          endParked(
              cold,
              RejectReason.PROVISION_FAILED,
              "cold start failed: " + reason,
              policy.emptyRetryAfterMs());
        }
      }
      case READY -> {
        ready.remove(member);
        metrics.sandboxFailed(false);
      }
      case CLAIMED -> {
        claimed.remove(member.claim.claimId());
        ttlDeadlines.remove(member);
        tenants.add(member.claim.tenant(), -1);
        actions.claimEnded(member.claim.claimId());
        metrics.sandboxFailed(false);
      }
      case DELETING -> deleting--;
    }
    replenish(nowNs);
  }

  /** A sandbox this pool deleted is gone. */
  public void onSandboxDeleted(String sandboxName, long nowNs) {
    Member member = members.get(sandboxName);
    if (member == null) return;
    if (member.state == Member.State.DELETING) {
      members.remove(sandboxName);
      deleting--;
      replenish(nowNs);
    } else {
      // Deleted behind our back: same as a failure, minus the backoff.
      onSandboxFailed(sandboxName, "deleted outside the scheduler", nowNs);
      planner.onDeletedOutside();
    }
  }

  // ---------------------------------------------------------------- time

  /** Expires wait deadlines and TTLs, replaces members stuck starting, and replenishes. */
  public void onTick(long nowNs) {
    ParkedClaim parked;
    while ((parked = waitDeadlines.pollExpired(nowNs)) != null) {
      endParked(
          parked,
          RejectReason.DEADLINE,
          "no sandbox became ready within "
              + TimeUnit.NANOSECONDS.toMillis(parked.ticket.request().waitNs())
              + " ms",
          policy.emptyRetryAfterMs());
    }
    Member expired;
    while ((expired = ttlDeadlines.pollExpired(nowNs)) != null) {
      claimed.remove(expired.claim.claimId());
      tenants.add(expired.claim.tenant(), -1);
      metrics.claimReleased(true);
      actions.claimEnded(expired.claim.claimId());
      deleteMember(expired);
    }
    replaceStuck(nowNs);
    tenants.sweep();
    replenish(nowNs);
  }

  private void replaceStuck(long nowNs) {
    List<ParkedClaim> coldToRestart = null;
    Iterator<Member> it = starting.values().iterator();
    while (it.hasNext()) {
      Member m = it.next();
      if (nowNs - m.createdAtNs < policy.readinessGraceNs()) break;
      it.remove();
      releasePermit(m);
      metrics.sandboxFailed(true);
      ParkedClaim cold = m.coldFor;
      if (cold != null) {
        startingCold--;
        m.coldFor = null;
        if (coldToRestart == null) coldToRestart = new ArrayList<>();
        coldToRestart.add(cold);
      }
      m.state = Member.State.DELETING;
      deleting++;
      actions.deleteSandbox(key(), m.name);
    }
    // NOTE: replacements are started after the loop: startMember adds to `starting`, which the
    // iterator above walks (adding during the walk threw ConcurrentModificationException).
    if (coldToRestart == null) return;
    for (ParkedClaim cold : coldToRestart) {
      // The claim keeps waiting until its own deadline; give it a fresh cold start.
      Member replacement = startMember(nowNs);
      replacement.coldFor = cold;
      startingCold++;
      rebindCold(cold, replacement);
      actions.createSandbox(key(), replacement.name, spec.blueprint());
    }
  }

  private void rebindCold(ParkedClaim cold, Member replacement) {
    ParkedClaim moved = new ParkedClaim(cold.ticket, cold.parkedAtNs, replacement);
    replacement.coldFor = moved;
    parkedById.put(cold.claimId(), moved);
    waitDeadlines.remove(cold);
    waitDeadlines.add(moved, cold.deadlineNs());
  }

  // ---------------------------------------------------------------- sizing

  /** Members wanted unclaimed: {@code replicas} plus one per claim waiting for a warm sandbox. */
  public int desired() {
    return removed ? 0 : sizing.target() + pending.size();
  }

  /** The unclaimed stock the pool aims at, before waiting claims are added. */
  public int target() {
    return sizing.target();
  }

  public TargetReason targetReason() {
    return sizing.reason();
  }

  /** The demand estimate used for sizing, claims per second. */
  public double demandPerSecond(long nowNs) {
    return sizing.demandPerSecond(nowNs);
  }

  /** The p90 time from create to ready (seeded until observed). */
  public long leadTimeP90Ns() {
    return sizing.leadTimeP90Ns();
  }

  private void replenish(long nowNs) {
    if (removed) return;
    sizing.update(spec, nowNs);
    int step = planner.plan(desired(), ready.size(), startingPool(), starting.size(), nowNs);
    if (step > 0) {
      int creates = gate.tryAcquire(spec.runtimeClass(), step, starting.size(), nowNs);
      for (int i = 0; i < creates; i++) {
        Member m = startMember(nowNs);
        m.permit = true;
        actions.createSandbox(key(), m.name, spec.blueprint());
      }
      planner.onCreatesStarted(creates, nowNs);
    } else {
      for (int i = step; i < 0; i++) deleteMember(ready.pollLast());
    }
  }

  private void leaveStarting(Member m) {
    starting.remove(m.name);
    releasePermit(m);
  }

  private void releasePermit(Member m) {
    if (m.permit) {
      m.permit = false;
      gate.release(spec.runtimeClass());
    }
  }

  private Member startMember(long nowNs) {
    String name;
    do {
      name = names.next();
    } while (members.containsKey(name));
    Member m = new Member(name, nowNs);
    members.put(name, m);
    starting.put(name, m);
    return m;
  }

  private void deleteMember(Member member) {
    member.state = Member.State.DELETING;
    deleting++;
    actions.deleteSandbox(key(), member.name);
  }

  // ---------------------------------------------------------------- adoption (restart recovery)

  /**
   * Adopts a running, unclaimed sandbox that a previous run of the scheduler started (found and
   * checked by the backend at start-up). It counts toward the target like any ready member. Call
   * before the pool's first {@link #onTick}, so that no replacement is started for it.
   */
  public void adoptReady(String sandboxName, List<String> addresses, long nowNs) {
    Member member = adopt(sandboxName, addresses, nowNs);
    if (member == null) return;
    offerReady(member, nowNs);
  }

  /**
   * Adopts a running sandbox bound to an acknowledged claim of a previous run: the claim is bound
   * again (readable, releasable, counted against its tenant) and expires at {@code expiresAtNs} (0
   * for never; a past instant expires it at the next tick). The claim is not acknowledged again.
   */
  public void adoptBound(
      String sandboxName,
      List<String> addresses,
      ClaimRequest claim,
      LaunchType launchType,
      long expiresAtNs,
      long nowNs) {
    if (claimed.containsKey(claim.claimId()) || parkedById.containsKey(claim.claimId())) {
      throw new IllegalArgumentException(
          "claim " + claim.claimId() + " is already in pool " + key());
    }
    Member member = adopt(sandboxName, addresses, nowNs);
    if (member == null) return;
    ClaimOutcome.Assigned assigned =
        new ClaimOutcome.Assigned(claim.claimId(), member.ref, launchType, 0, expiresAtNs);
    member.state = Member.State.CLAIMED;
    member.claim = claim;
    member.assignment = assigned;
    claimed.put(claim.claimId(), member);
    if (expiresAtNs != 0) ttlDeadlines.add(member, expiresAtNs);
    tenants.add(claim.tenant(), +1);
  }

  private Member adopt(String sandboxName, List<String> addresses, long nowNs) {
    if (members.containsKey(sandboxName)) {
      throw new IllegalArgumentException("sandbox " + sandboxName + " is already in pool " + key());
    }
    if (removed) return null;
    names.adopt(sandboxName);
    Member member = new Member(sandboxName, nowNs);
    member.ref = new SandboxRef(sandboxName, key(), spec.runtimeClass(), addresses, backendName);
    members.put(sandboxName, member);
    return member;
  }

  // ---------------------------------------------------------------- lifecycle

  /** Applies a changed declaration (replicas, template, caps); existing members are kept. */
  public void updateSpec(PoolSpec newSpec, long nowNs) {
    if (!newSpec.key().equals(key()))
      throw new IllegalArgumentException("pool key changed: " + newSpec.key());
    this.spec = newSpec;
    replenish(nowNs);
  }

  /**
   * The pool was deleted: waiting claims are answered with {@link RejectReason#POOL_REMOVED},
   * unclaimed members are deleted; bound claims keep their sandboxes until released (as upstream:
   * claimed sandboxes belong to their claims).
   */
  public void remove(long nowNs) {
    removed = true;
    List<ParkedClaim> waiting = new ArrayList<>(parkedById.values());
    for (ParkedClaim p : waiting)
      endParked(p, RejectReason.POOL_REMOVED, "pool " + key() + " was removed", 0);
    Member m;
    while ((m = ready.pollFirst()) != null) deleteMember(m);
    for (Member s : new ArrayList<>(starting.values())) {
      leaveStarting(s);
      deleteMember(s);
    }
    gate.unregisterPool(spec.runtimeClass());
    startingCold = 0;
  }

  /** Answers every waiting claim with {@code reason}; used at shutdown. */
  public void rejectAllWaiting(RejectReason reason, String message) {
    for (ParkedClaim p : new ArrayList<>(parkedById.values())) endParked(p, reason, message, 0);
  }

  /** True when the pool was removed and holds no claims and no sandboxes any more. */
  public boolean isDrained() {
    return removed && claimed.isEmpty() && members.isEmpty();
  }

  public boolean isRemoved() {
    return removed;
  }

  // ---------------------------------------------------------------- reads

  public int readyCount() {
    return ready.size();
  }

  public int startingCount() {
    return starting.size();
  }

  public int claimedCount() {
    return claimed.size();
  }

  public int pendingCount() {
    return parkedById.size();
  }

  public int deletingCount() {
    return deleting;
  }

  /** Publishes the counts for other threads. */
  public void publish(PoolStats stats) {
    stats.publish(
        ready.size(),
        starting.size(),
        claimed.size(),
        desired(),
        parkedById.size(),
        deleting,
        warmAssigned,
        coldAssigned,
        hits);
    stats.publishSizing(
        sizing.target(),
        sizing.reason().ordinal(),
        sizing.publishedDemandPerSecond(),
        sizing.leadTimeP90Ns());
  }

  /** Publishes the counts and the demand estimate as of {@code nowNs}. */
  public void publish(PoolStats stats, long nowNs) {
    sizing.snapshotDemand(nowNs);
    publish(stats);
  }
}
