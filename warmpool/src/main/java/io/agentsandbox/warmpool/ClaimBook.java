package io.agentsandbox.warmpool;

import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.ClaimRequest;
import io.agentsandbox.core.model.ClaimTicket;
import io.agentsandbox.core.model.LaunchType;
import io.agentsandbox.core.model.OnEmpty;
import io.agentsandbox.core.model.RejectReason;
import io.agentsandbox.core.port.PoolMetrics;
import io.agentsandbox.warmpool.internal.DeadlineHeap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.concurrent.TimeUnit;

/**
 * The claim side of one pool's state machine: claims bound to a member (with their TTLs) and claims
 * waiting for one (by id, in the fair queue, with their deadlines), admission and the per-tenant
 * ledger. Owned by the pool's owner thread; not thread-safe; pure: time comes in as arguments,
 * effects go out through {@link PoolActions}, {@link ClaimTicket#complete} and its {@link
 * WarmPool}, which owns the members.
 */
final class ClaimBook {

  private final WarmPool pool;
  private final Roster roster;
  private final WarmPoolPolicy policy;
  private final AdmissionControl admission;
  private final PoolActions actions;
  private final PoolMetrics metrics;
  private final TenantLedger tenants = new TenantLedger();
  private final HashMap<String, Member> claimed = new HashMap<>();
  private final HashMap<String, ParkedClaim> parkedById = new HashMap<>();
  private final PendingClaims pending = new PendingClaims();
  private final DeadlineHeap<ParkedClaim> waitDeadlines = new DeadlineHeap<>();
  private final DeadlineHeap<Member> ttlDeadlines = new DeadlineHeap<>();
  private long warmAssigned;
  private long coldAssigned;
  private long hits;

  ClaimBook(
      WarmPool pool,
      Roster roster,
      WarmPoolPolicy policy,
      AdmissionControl admission,
      PoolActions actions,
      PoolMetrics metrics) {
    this.pool = pool;
    this.roster = roster;
    this.policy = policy;
    this.admission = admission;
    this.actions = actions;
    this.metrics = metrics;
  }

  // ---------------------------------------------------------------- assignment

  /** See {@link WarmPool#tryAssign}; the pool is not removed. */
  ClaimOutcome tryAssign(ClaimTicket ticket, long nowNs) {
    ClaimRequest request = ticket.request();
    int cap = admission.tenantCap(pool.spec());
    if (tenants.isAtCap(request.tenant(), cap)) {
      return reject(
          ticket,
          RejectReason.TENANT_QUOTA,
          "tenant '"
              + request.tenant()
              + "' already holds "
              + cap
              + " claims on pool "
              + pool.key(),
          1_000);
    }
    Member member = roster.pollReady();
    if (member != null) {
      tenants.add(request.tenant(), +1);
      hits++;
      ClaimOutcome outcome = bind(member, ticket, LaunchType.WARM, nowNs);
      pool.replenish(nowNs);
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
          "pool " + pool.key() + " has no ready sandbox",
          policy.emptyRetryAfterMs());
    }
    ClaimOutcome refused = refuseToWait(ticket);
    if (refused != null) return refused;
    tenants.add(request.tenant(), +1);
    if (request.onEmpty() == OnEmpty.COLD) {
      Member member = roster.start(nowNs);
      ParkedClaim parked = new ParkedClaim(ticket, nowNs, member);
      member.coldFor = parked;
      roster.coldStartsChanged(+1);
      park(parked);
      actions.claimWaiting(ticket, true);
      pool.createSandbox(member);
    } else {
      ParkedClaim parked = new ParkedClaim(ticket, nowNs, null);
      park(parked);
      actions.claimWaiting(ticket, false);
      pending.add(parked);
      pool.replenish(nowNs);
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
            pool.key(),
            pool.spec().runtimeClass(),
            ticket.request().onEmpty() == OnEmpty.COLD,
            parkedById.size(),
            pending.size(),
            roster.startingPool(),
            pool.leadTimeP90Ns());
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
            + pool.key()
            + " has no room for more waiting claims and tenant '"
            + tenant
            + "' has the most waiting ("
            + pending.waitingOf(tenant)
            + "): its newest gave way to a tenant with fewer; retry later",
        retryAfterMs);
    return true;
  }

  private void park(ParkedClaim parked) {
    ClaimRequest request = parked.ticket.request();
    parkedById.put(request.claimId(), parked);
    waitDeadlines.add(parked, request.deadlineNs());
  }

  /** Binds a member to a claim and hands the binding to {@link PoolActions#bindingMade}. */
  ClaimOutcome bind(Member member, ClaimTicket ticket, LaunchType launchType, long nowNs) {
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

  /** Answers a claim with a rejection, counted. */
  ClaimOutcome reject(ClaimTicket ticket, RejectReason reason, String message, long retryAfterMs) {
    ClaimOutcome.Rejected rejected = new ClaimOutcome.Rejected(reason, message, retryAfterMs);
    metrics.claimRejected(reason);
    actions.claimRejected(ticket, rejected);
    return rejected;
  }

  // ---------------------------------------------------------------- members becoming ready

  /** The longest-waiting claim of the fair queue for a warm member, taken out; or null. */
  ParkedClaim pollWarm() {
    ParkedClaim next = pending.poll();
    if (next != null) unpark(next);
    return next;
  }

  /** A cold-start claim's member is ready: the claim stops waiting (and is bound next). */
  void unpark(ParkedClaim parked) {
    parkedById.remove(parked.claimId());
    waitDeadlines.remove(parked);
  }

  /** A cold-start claim's member was stuck: the claim waits on for its replacement. */
  void rebindCold(ParkedClaim cold, Member replacement) {
    ParkedClaim moved = new ParkedClaim(cold.ticket, cold.parkedAtNs, replacement);
    replacement.coldFor = moved;
    parkedById.put(cold.claimId(), moved);
    waitDeadlines.remove(cold);
    waitDeadlines.add(moved, cold.deadlineNs());
  }

  // ---------------------------------------------------------------- ends

  /** See {@link WarmPool#release}. */
  WarmPool.ReleaseResult release(String claimId, long nowNs) {
    Member member = claimed.remove(claimId);
    if (member != null) {
      ttlDeadlines.remove(member);
      tenants.add(member.claim.tenant(), -1);
      metrics.claimReleased(false);
      actions.claimReleased(member.claim, member.assignment, false, nowNs);
      actions.claimEnded(member.claim.claimId());
      pool.deleteMember(member);
      pool.replenish(nowNs);
      return WarmPool.ReleaseResult.RELEASED;
    }
    ParkedClaim parked = parkedById.get(claimId);
    if (parked != null) {
      endParked(parked, RejectReason.CANCELLED, "claim was released while it waited", 0);
      pool.replenish(nowNs);
      return WarmPool.ReleaseResult.CANCELLED;
    }
    return WarmPool.ReleaseResult.UNKNOWN;
  }

  /** Answers a waiting claim with a rejection and forgets it. */
  void endParked(ParkedClaim parked, RejectReason reason, String message, long retryAfterMs) {
    String claimId = parked.claimId();
    parkedById.remove(claimId);
    waitDeadlines.remove(parked);
    if (parked.coldMember == null) {
      pending.remove(parked);
    } else {
      Member cold = parked.coldMember;
      cold.coldFor = null;
      if (cold.state == Member.State.STARTING) roster.coldStartsChanged(-1);
      // NOTE: the cold member keeps starting and joins the pool when ready; surplus is trimmed.
    }
    tenants.add(parked.ticket.request().tenant(), -1);
    actions.claimEnded(claimId);
    reject(parked.ticket, reason, message, retryAfterMs);
  }

  /** A claimed member died: its claim ends (the member is gone already). */
  void memberLost(Member member, String reason, long nowNs) {
    claimed.remove(member.claim.claimId());
    ttlDeadlines.remove(member);
    tenants.add(member.claim.tenant(), -1);
    actions.claimLost(
        new ClaimView(member.claim, member.assignment, new ClaimView.Lost(reason, nowNs)));
  }

  /** Ends waits past their deadline and bindings past their TTL (their members are deleted). */
  void expire(long nowNs) {
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
      actions.claimReleased(expired.claim, expired.assignment, true, nowNs);
      actions.claimEnded(expired.claim.claimId());
      pool.deleteMember(expired);
    }
    tenants.sweep();
  }

  /** Answers every waiting claim with {@code reason}. */
  void endAllWaiting(RejectReason reason, String message) {
    for (ParkedClaim p : new ArrayList<>(parkedById.values())) endParked(p, reason, message, 0);
  }

  // ---------------------------------------------------------------- adoption and reads

  /** Binds a member adopted from a previous run to its acknowledged claim again. */
  void adoptBound(Member member, ClaimRequest claim, LaunchType launchType, long expiresAtNs) {
    ClaimOutcome.Assigned assigned =
        new ClaimOutcome.Assigned(claim.claimId(), member.ref, launchType, 0, expiresAtNs);
    member.state = Member.State.CLAIMED;
    member.claim = claim;
    member.assignment = assigned;
    claimed.put(claim.claimId(), member);
    if (expiresAtNs != 0) ttlDeadlines.add(member, expiresAtNs);
    tenants.add(claim.tenant(), +1);
  }

  boolean contains(String claimId) {
    return claimed.containsKey(claimId) || parkedById.containsKey(claimId);
  }

  /** The claim with this id, bound or waiting, or null. */
  ClaimView find(String claimId) {
    Member member = claimed.get(claimId);
    if (member != null) return new ClaimView(member.claim, member.assignment);
    ParkedClaim parked = parkedById.get(claimId);
    return parked == null ? null : new ClaimView(parked.ticket.request(), null);
  }

  int boundCount() {
    return claimed.size();
  }

  /** Claims waiting, warm and cold. */
  int waitingCount() {
    return parkedById.size();
  }

  /** Claims waiting for a warm member. */
  int warmWaitingCount() {
    return pending.size();
  }

  long warmAssigned() {
    return warmAssigned;
  }

  long coldAssigned() {
    return coldAssigned;
  }

  long hits() {
    return hits;
  }
}
