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
import java.util.SplittableRandom;
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

  private static final char[] NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789".toCharArray();

  /** 27^5: the first this many names of a pool are 5-character suffixes, none repeated. */
  private static final long NAME_SPACE = 14_348_907L;

  /** Coprime with NAME_SPACE (not a multiple of 3), so the scramble below is a bijection. */
  private static final long NAME_STRIDE = 7_368_787L;

  /**
   * NAME_STRIDE's inverse modulo NAME_SPACE: turns an adopted name back into its sequence number.
   */
  private static final long NAME_STRIDE_INVERSE =
      java.math.BigInteger.valueOf(NAME_STRIDE)
          .modInverse(java.math.BigInteger.valueOf(NAME_SPACE))
          .longValueExact();

  private final WarmPoolPolicy policy;
  private final SizingPolicy sizing;
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
  private final HashMap<String, int[]> claimsPerTenant = new HashMap<>();
  private long warmAssigned;
  private long coldAssigned;
  private long hits;
  private int consecutiveCreateFailures;
  private long nextCreateAtNs;
  private boolean createBackoff;
  private final long nameOffset;
  private long nameSeq;

  /**
   * Names of adopted sandboxes (from a previous run): never handed out again by {@link #newName}.
   */
  private java.util.HashSet<String> adoptedNames;

  private final DemandEstimator demand;
  private final LeadTimeEstimator leadTime;
  private int target;
  private TargetReason targetReason = TargetReason.STATIC_REPLICAS;
  private boolean autoTargetSet;
  private long lastWantedAtOrAboveNs;
  private long lastLoweredNs;
  private double publishedDemandPerSecond;

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
    this.sizing = Objects.requireNonNull(sizing, "sizing");
    this.gate = Objects.requireNonNull(gate, "gate");
    this.demand = new DemandEstimator(sizing.shortWindowNs(), sizing.longWindowNs());
    this.leadTime = new LeadTimeEstimator(sizing.leadTimeSeedNs(spec.runtimeClass()));
    this.target = spec.replicas();
    gate.registerPool(spec.runtimeClass());
    this.actions = Objects.requireNonNull(actions, "actions");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.backendName = Objects.requireNonNull(backendName, "backendName");
    this.nameOffset = new SplittableRandom(seed).nextLong(NAME_SPACE);
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
    demand.onArrival(nowNs);
    int cap =
        spec.maxClaimsPerTenant() > 0 ? spec.maxClaimsPerTenant() : policy.maxClaimsPerTenant();
    int[] held = claimsPerTenant.get(request.tenant());
    if (held != null && held[0] >= cap) {
      return reject(
          ticket,
          RejectReason.TENANT_QUOTA,
          "tenant '" + request.tenant() + "' already holds " + cap + " claims on pool " + key(),
          1_000);
    }
    Member member = ready.pollFirst();
    if (member != null) {
      countTenant(request.tenant(), +1);
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
    countTenant(request.tenant(), +1);
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
   * Admission of a claim that would wait: refused at once ({@link RejectReason#OVERLOADED}, with a
   * {@code Retry-After} of about the time the queue ahead needs) when the pool's waiting-claim cap
   * is reached, or when the claims already waiting for a warm sandbox are at least the pool's
   * starting members plus what it can create within {@link WarmPoolPolicy#maxAdmittedWaitNs}. So an
   * admitted claim waits about one lead time plus at most that bound, instead of sitting until its
   * own deadline behind a queue that cannot drain in time. Null when admitted.
   *
   * <p>A full room is shared max-min fairly among tenants (see {@link #admitByDisplacing}).
   */
  private ClaimOutcome refuseToWait(ClaimTicket ticket) {
    int waiting = parkedById.size();
    if (waiting >= policy.maxWaitingPerPool()) {
      long retryAfterMs = Math.max(policy.emptyRetryAfterMs(), retryAfterMs(pending.size()));
      if (admitByDisplacing(ticket, retryAfterMs)) return null;
      return reject(
          ticket,
          RejectReason.OVERLOADED,
          "pool " + key() + " already has " + waiting + " claims waiting (its cap); retry later",
          retryAfterMs);
    }
    if (ticket.request().onEmpty() == OnEmpty.COLD || policy.maxAdmittedWaitNs() == 0) return null;
    int warmWaiting = pending.size();
    int startingPool = starting.size() - startingCold;
    double perSecond = creationThroughputPerSecond();
    double servable = startingPool + perSecond * (policy.maxAdmittedWaitNs() / 1e9);
    if (warmWaiting < servable) return null;
    long retryAfterMs = Math.max(policy.emptyRetryAfterMs(), retryAfterMs(warmWaiting));
    if (admitByDisplacing(ticket, retryAfterMs)) return null;
    return reject(
        ticket,
        RejectReason.OVERLOADED,
        "pool "
            + key()
            + " has "
            + warmWaiting
            + " claims waiting for "
            + startingPool
            + " starting sandboxes and creates about "
            + Math.round(perSecond)
            + " per second: a new claim would wait over "
            + TimeUnit.NANOSECONDS.toMillis(policy.maxAdmittedWaitNs())
            + " ms beyond the start time; retry later",
        retryAfterMs);
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

  /** About how long the claims waiting now need to be served, in ms. */
  private long retryAfterMs(int warmWaiting) {
    double perSecond = creationThroughputPerSecond();
    int beyondStarting = Math.max(0, warmWaiting - (starting.size() - startingCold));
    if (Double.isInfinite(perSecond) || perSecond <= 0) return 0;
    return TimeUnit.NANOSECONDS.toMillis(leadTime.p90Ns())
        + (long) Math.ceil(beyondStarting * 1_000 / perSecond);
  }

  /**
   * Sandboxes per second this pool can expect to get ready: {@code maxStarting} over the learned
   * lead time, capped by the creation gate's share for its runtime class. A slow backend shows up
   * as a longer learned lead time, so the figure follows it.
   */
  public double creationThroughputPerSecond() {
    long lead = Math.max(1, leadTime.p90Ns());
    double byPool = policy.maxStarting() * 1e9 / lead;
    return Math.min(byPool, gate.throughputPerSecond(spec.runtimeClass(), lead));
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
    countTenant(member.claim.tenant(), -1);
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
    countTenant(parked.ticket.request().tenant(), -1);
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
    leadTime.onObserved(nowNs - member.createdAtNs);
    member.ref = new SandboxRef(sandboxName, key(), spec.runtimeClass(), addresses, backendName);
    metrics.sandboxReady(nowNs - member.createdAtNs);
    consecutiveCreateFailures = 0;
    createBackoff = false;
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
        consecutiveCreateFailures++;
        createBackoff = true;
        long backoff = policy.createBackoffBaseNs() << Math.min(consecutiveCreateFailures - 1, 20);
        nextCreateAtNs = nowNs + Math.min(backoff, policy.createBackoffMaxNs());
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
        countTenant(member.claim.tenant(), -1);
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
      createBackoff = consecutiveCreateFailures > 0;
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
      countTenant(expired.claim.tenant(), -1);
      metrics.claimReleased(true);
      actions.claimEnded(expired.claim.claimId());
      deleteMember(expired);
    }
    replaceStuck(nowNs);
    sweepTenants();
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
    return removed ? 0 : target + pending.size();
  }

  /** The unclaimed stock the pool aims at, before waiting claims are added. */
  public int target() {
    return target;
  }

  public TargetReason targetReason() {
    return targetReason;
  }

  /** The demand estimate used for sizing, claims per second. */
  public double demandPerSecond(long nowNs) {
    return demand.ratePerSecond(nowNs);
  }

  /** The p90 time from create to ready (seeded until observed). */
  public long leadTimeP90Ns() {
    return leadTime.p90Ns();
  }

  private void updateTarget(long nowNs) {
    var autoscale = spec.autoscale();
    if (autoscale == null) {
      target = spec.replicas();
      targetReason = TargetReason.STATIC_REPLICAS;
      return;
    }
    double mean = demand.ratePerSecond(nowNs) * (leadTime.p90Ns() / 1e9);
    int wanted = TargetRule.poissonQuantile(mean, autoscale.confidence());
    TargetReason why = TargetReason.DEMAND;
    if (wanted < autoscale.minReplicas()) {
      wanted = autoscale.minReplicas();
      why = TargetReason.MIN_REPLICAS;
    } else if (wanted > autoscale.maxReplicas()) {
      wanted = autoscale.maxReplicas();
      why = TargetReason.MAX_REPLICAS;
    }
    if (!autoTargetSet) {
      // Start from spec.replicas (clamped) and move from there like any other target.
      autoTargetSet = true;
      target =
          Math.max(autoscale.minReplicas(), Math.min(autoscale.maxReplicas(), spec.replicas()));
      lastWantedAtOrAboveNs = nowNs;
    }
    if (wanted >= target) {
      target = wanted;
      targetReason = why;
      lastWantedAtOrAboveNs = nowNs;
      return;
    }
    // NOTE: scale down slowly: only after demand has stayed clearly below (under 90 % of the
    // target)
    // for the delay, then one step per period, a tenth at a time. Noise near the target holds it.
    if (wanted * 10L >= target * 9L) lastWantedAtOrAboveNs = nowNs;
    targetReason = TargetReason.SCALING_DOWN_SLOWLY;
    if (nowNs - lastWantedAtOrAboveNs >= sizing.scaleDownDelayNs()
        && nowNs - lastLoweredNs >= sizing.scaleDownStepNs()) {
      target = Math.max(wanted, target - Math.max(1, target / 10));
      lastLoweredNs = nowNs;
      if (target == wanted) targetReason = why;
    }
  }

  private void replenish(long nowNs) {
    if (removed) return;
    updateTarget(nowNs);
    int needed = desired();
    int startingPool = starting.size() - startingCold;
    int have = ready.size() + startingPool;
    if (have < needed) {
      if (createBackoff && nowNs - nextCreateAtNs < 0) return;
      int room = policy.maxStarting() - starting.size();
      int creates = Math.min(needed - have, room);
      // NOTE: during backoff, one probe create at a time until one succeeds.
      if (createBackoff) creates = Math.min(creates, 1);
      if (creates > 0)
        creates = gate.tryAcquire(spec.runtimeClass(), creates, starting.size(), nowNs);
      for (int i = 0; i < creates; i++) {
        Member m = startMember(nowNs);
        m.permit = true;
        actions.createSandbox(key(), m.name, spec.blueprint());
      }
      // The probe's result (ready or failed) ends or extends the backoff; until then, no other.
      if (createBackoff && creates > 0) nextCreateAtNs = nowNs + policy.createBackoffMaxNs();
    } else if (have > needed) {
      int excess = Math.min(have - needed, ready.size());
      for (int i = 0; i < excess; i++) deleteMember(ready.pollLast());
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
      name = newName();
    } while (members.containsKey(name) || (adoptedNames != null && adoptedNames.contains(name)));
    Member m = new Member(name, nowNs);
    members.put(name, m);
    starting.put(name, m);
    return m;
  }

  /**
   * A name never used before by this pool object: upstream's {@code <pool>-<5 chars>} shape, from a
   * scrambled sequence, so a released sandbox's name is not handed out again (a client holding an
   * old name must never reach a new tenant's sandbox).
   */
  private String newName() {
    long seq = nameSeq++;
    long v = seq < NAME_SPACE ? Math.floorMod(seq * NAME_STRIDE + nameOffset, NAME_SPACE) : seq;
    String base = key().name();
    int suffixLength = v < NAME_SPACE ? 5 : 14;
    char[] name = new char[base.length() + 1 + suffixLength];
    base.getChars(0, base.length(), name, 0);
    name[base.length()] = '-';
    for (int i = name.length - 1; i > base.length(); i--) {
      name[i] = NAME_CHARS[(int) (v % NAME_CHARS.length)];
      v /= NAME_CHARS.length;
    }
    return new String(name);
  }

  private void deleteMember(Member member) {
    member.state = Member.State.DELETING;
    deleting++;
    actions.deleteSandbox(key(), member.name);
  }

  private void countTenant(String tenant, int delta) {
    int[] held = claimsPerTenant.get(tenant);
    if (held == null) {
      held = new int[1];
      claimsPerTenant.put(tenant, held);
    }
    // NOTE: an entry at 0 is kept (no allocation for a returning tenant); sweepTenants drops them.
    held[0] += delta;
  }

  /**
   * Drops tenants holding nothing, once there are many, so arbitrary tenant names cannot pile up.
   */
  private void sweepTenants() {
    if (claimsPerTenant.size() > 256) claimsPerTenant.values().removeIf(held -> held[0] <= 0);
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
    countTenant(claim.tenant(), +1);
  }

  private Member adopt(String sandboxName, List<String> addresses, long nowNs) {
    if (members.containsKey(sandboxName)) {
      throw new IllegalArgumentException("sandbox " + sandboxName + " is already in pool " + key());
    }
    if (removed) return null;
    if (adoptedNames == null) adoptedNames = new java.util.HashSet<>();
    adoptedNames.add(sandboxName);
    long seq = sequenceOf(sandboxName);
    if (seq >= nameSeq) nameSeq = seq + 1;
    Member member = new Member(sandboxName, nowNs);
    member.ref = new SandboxRef(sandboxName, key(), spec.runtimeClass(), addresses, backendName);
    members.put(sandboxName, member);
    return member;
  }

  /**
   * The position of a name in this pool's sequence (see {@link #newName}), or -1 when it is not one
   * of its 5-char names.
   */
  private long sequenceOf(String sandboxName) {
    String prefix = key().name() + "-";
    if (!sandboxName.startsWith(prefix) || sandboxName.length() != prefix.length() + 5) return -1;
    long v = 0;
    for (int i = prefix.length(); i < sandboxName.length(); i++) {
      int digit = indexOfNameChar(sandboxName.charAt(i));
      if (digit < 0) return -1;
      v = v * NAME_CHARS.length + digit;
    }
    return Math.floorMod(v - nameOffset, NAME_SPACE) * NAME_STRIDE_INVERSE % NAME_SPACE;
  }

  private static int indexOfNameChar(char c) {
    for (int i = 0; i < NAME_CHARS.length; i++) {
      if (NAME_CHARS[i] == c) return i;
    }
    return -1;
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
    stats.publishSizing(target, targetReason.ordinal(), publishedDemandPerSecond, leadTime.p90Ns());
  }

  /** Publishes the counts and the demand estimate as of {@code nowNs}. */
  public void publish(PoolStats stats, long nowNs) {
    publishedDemandPerSecond = demand.ratePerSecond(nowNs);
    publish(stats);
  }
}
