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
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

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
 *
 * <p>This class holds the members and composes the parts: {@link ClaimBook} (bound and waiting
 * claims, with {@link AdmissionControl} and {@link TenantLedger}), {@link TargetController}
 * (sizing), {@link ReplenishPlanner} (creates, trims and backoff) and {@link SandboxNames}.
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
  private final AdmissionControl admission;
  private final TargetController sizing;
  private final ReplenishPlanner planner;
  private final Roster roster;
  private final ClaimBook claims;

  // Owner thread only
  private PoolSpec spec;
  private boolean removed;

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
    this.roster = new Roster(new SandboxNames(spec.key().name(), seed));
    this.claims = new ClaimBook(this, roster, policy, admission, actions, metrics);
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
    if (removed) return claims.reject(ticket, RejectReason.POOL_REMOVED, "pool was removed", 0);
    sizing.onArrival(nowNs);
    return claims.tryAssign(ticket, nowNs);
  }

  /**
   * Ends a claim: a bound claim's sandbox is deleted (never reused); a waiting claim is answered
   * with {@link RejectReason#CANCELLED}.
   */
  public ReleaseResult release(String claimId, long nowNs) {
    return claims.release(claimId, nowNs);
  }

  /** The claim with this id, bound or waiting, or null. */
  public ClaimView findClaim(String claimId) {
    return claims.find(claimId);
  }

  /**
   * The claim holding sandbox {@code sandboxName}: its view when the sandbox is claimed, {@link
   * #UNCLAIMED} when it is a member not claimed (starting, ready or being deleted), or null when
   * the pool has no such member.
   */
  public ClaimView claimOfSandbox(String sandboxName) {
    Member member = roster.get(sandboxName);
    if (member == null) return null;
    if (member.state != Member.State.CLAIMED || member.claim == null) return UNCLAIMED;
    return new ClaimView(member.claim, member.assignment);
  }

  /** {@link #claimOfSandbox} of a member that no claim holds. */
  public static final ClaimView UNCLAIMED = new ClaimView(null, null);

  /** Counts a claim for this pool that its owner turned away before it reached the pool. */
  public void countRejected(RejectReason reason) {
    metrics.claimRejected(reason);
  }

  /**
   * Sandboxes per second this pool can expect to get ready: {@code maxStarting} over the learned
   * lead time, capped by the creation gate's share for its runtime class. A slow backend shows up
   * as a longer learned lead time, so the figure follows it.
   */
  public double creationThroughputPerSecond() {
    return admission.throughputPerSecond(spec.runtimeClass(), sizing.leadTimeP90Ns());
  }

  // ---------------------------------------------------------------- backend events

  /** A sandbox this pool asked for is up. */
  public void onSandboxReady(String sandboxName, List<String> addresses, long nowNs) {
    Member member = roster.get(sandboxName);
    if (member == null || member.state != Member.State.STARTING) return;
    leaveStarting(member);
    sizing.onLeadTimeObserved(nowNs - member.createdAtNs);
    member.ref = new SandboxRef(sandboxName, key(), spec.runtimeClass(), addresses, backendName);
    metrics.sandboxReady(nowNs - member.createdAtNs);
    planner.onReady();
    ParkedClaim cold = member.coldFor;
    if (cold != null) {
      roster.coldStartsChanged(-1);
      member.coldFor = null;
      claims.unpark(cold);
      claims.bind(member, cold.ticket, LaunchType.COLD, nowNs);
    } else {
      offerReady(member, nowNs);
    }
    replenish(nowNs);
  }

  private void offerReady(Member member, long nowNs) {
    ParkedClaim next = claims.pollWarm();
    if (next != null) {
      claims.bind(member, next.ticket, LaunchType.WARM, nowNs);
    } else {
      roster.addReady(member);
    }
  }

  /** A sandbox of this pool failed to start or died. */
  public void onSandboxFailed(String sandboxName, String reason, long nowNs) {
    Member member = roster.remove(sandboxName);
    if (member == null) return;
    switch (member.state) {
      case STARTING -> {
        leaveStarting(member);
        metrics.sandboxFailed(false);
        planner.onCreateFailed(nowNs);
        ParkedClaim cold = member.coldFor;
        if (cold != null) {
          claims.endParked(
              cold,
              RejectReason.PROVISION_FAILED,
              "cold start failed: " + reason,
              policy.emptyRetryAfterMs());
        }
      }
      case READY -> {
        roster.removeReady(member);
        metrics.sandboxFailed(false);
      }
      case CLAIMED -> {
        claims.memberLost(member, reason, nowNs);
        metrics.sandboxFailed(false);
      }
      case DELETING -> roster.deletingEnded();
    }
    replenish(nowNs);
  }

  /** A sandbox this pool deleted is gone. */
  public void onSandboxDeleted(String sandboxName, long nowNs) {
    Member member = roster.get(sandboxName);
    if (member == null) return;
    if (member.state == Member.State.DELETING) {
      roster.remove(sandboxName);
      roster.deletingEnded();
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
    claims.expire(nowNs);
    replaceStuck(nowNs);
    replenish(nowNs);
  }

  private void replaceStuck(long nowNs) {
    List<ParkedClaim> coldToRestart = null;
    Member m;
    while ((m = roster.pollStuck(nowNs, policy.readinessGraceNs())) != null) {
      releasePermit(m);
      metrics.sandboxFailed(true);
      actions.sandboxStuck(spec.key(), m.name, nowNs - m.createdAtNs);
      ParkedClaim cold = m.coldFor;
      if (cold != null) {
        roster.coldStartsChanged(-1);
        m.coldFor = null;
        if (coldToRestart == null) coldToRestart = new ArrayList<>();
        coldToRestart.add(cold);
      }
      deleteMember(m);
    }
    // NOTE: replacements are started after the loop, so that a zero grace cannot make the loop
    // give up on the replacements it has just started.
    if (coldToRestart == null) return;
    for (ParkedClaim cold : coldToRestart) {
      // The claim keeps waiting until its own deadline; give it a fresh cold start.
      Member replacement = roster.start(nowNs);
      replacement.coldFor = cold;
      roster.coldStartsChanged(+1);
      claims.rebindCold(cold, replacement);
      createSandbox(replacement);
    }
  }

  // ---------------------------------------------------------------- sizing and members

  /** Members wanted unclaimed: {@code replicas} plus one per claim waiting for a warm sandbox. */
  public int desired() {
    return removed ? 0 : sizing.target() + claims.warmWaitingCount();
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

  void replenish(long nowNs) {
    if (removed) return;
    sizing.update(spec, nowNs);
    int step =
        planner.plan(
            desired(), roster.readyCount(), roster.startingPool(), roster.startingCount(), nowNs);
    if (step > 0) {
      int creates = gate.tryAcquire(spec.runtimeClass(), step, roster.startingCount(), nowNs);
      for (int i = 0; i < creates; i++) {
        Member m = roster.start(nowNs);
        m.permit = true;
        createSandbox(m);
      }
      planner.onCreatesStarted(creates, nowNs);
    } else {
      for (int i = step; i < 0; i++) deleteMember(roster.pollNewestReady());
    }
  }

  void createSandbox(Member m) {
    actions.createSandbox(key(), m.name, spec.blueprint());
  }

  void deleteMember(Member member) {
    roster.markDeleting(member);
    actions.deleteSandbox(key(), member.name);
  }

  private void leaveStarting(Member m) {
    roster.leaveStarting(m);
    releasePermit(m);
  }

  private void releasePermit(Member m) {
    if (m.permit) {
      m.permit = false;
      gate.release(spec.runtimeClass());
    }
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
    if (claims.contains(claim.claimId())) {
      throw new IllegalArgumentException(
          "claim " + claim.claimId() + " is already in pool " + key());
    }
    Member member = adopt(sandboxName, addresses, nowNs);
    if (member == null) return;
    claims.adoptBound(member, claim, launchType, expiresAtNs);
  }

  private Member adopt(String sandboxName, List<String> addresses, long nowNs) {
    if (roster.contains(sandboxName)) {
      throw new IllegalArgumentException("sandbox " + sandboxName + " is already in pool " + key());
    }
    if (removed) return null;
    Member member = roster.adopt(sandboxName, nowNs);
    member.ref = new SandboxRef(sandboxName, key(), spec.runtimeClass(), addresses, backendName);
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
    claims.endAllWaiting(RejectReason.POOL_REMOVED, "pool " + key() + " was removed");
    Member m;
    while ((m = roster.pollReady()) != null) deleteMember(m);
    for (Member s : roster.startingMembers()) {
      leaveStarting(s);
      deleteMember(s);
    }
    gate.unregisterPool(spec.runtimeClass());
    roster.clearColdStarts();
  }

  /** Answers every waiting claim with {@code reason}; used at shutdown. */
  public void rejectAllWaiting(RejectReason reason, String message) {
    claims.endAllWaiting(reason, message);
  }

  /** True when the pool was removed and holds no claims and no sandboxes any more. */
  public boolean isDrained() {
    return removed && claims.boundCount() == 0 && roster.isEmpty();
  }

  public boolean isRemoved() {
    return removed;
  }

  // ---------------------------------------------------------------- reads

  public int readyCount() {
    return roster.readyCount();
  }

  public int startingCount() {
    return roster.startingCount();
  }

  public int claimedCount() {
    return claims.boundCount();
  }

  public int pendingCount() {
    return claims.waitingCount();
  }

  public int deletingCount() {
    return roster.deletingCount();
  }

  /** Publishes the counts for other threads. */
  public void publish(PoolStats stats) {
    stats.publish(
        roster.readyCount(),
        roster.startingCount(),
        claims.boundCount(),
        desired(),
        claims.waitingCount(),
        roster.deletingCount());
    stats.publishAssigned(claims.warmAssigned(), claims.coldAssigned(), claims.hits());
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
