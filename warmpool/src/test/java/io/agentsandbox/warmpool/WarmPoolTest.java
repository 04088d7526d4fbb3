package io.agentsandbox.warmpool;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.LaunchType;
import io.agentsandbox.core.model.OnEmpty;
import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.model.RejectReason;
import io.agentsandbox.core.testing.ClaimFixtures;
import io.agentsandbox.core.testing.ManualClock;
import io.agentsandbox.core.testing.RecordingMetrics;
import io.agentsandbox.core.testing.RecordingTicket;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WarmPoolTest {

  private static final List<String> ADDRESSES = List.of("10.0.0.7");

  private final ManualClock clock = new ManualClock();
  private final RecordingPoolActions actions = new RecordingPoolActions();
  private final RecordingMetrics.Pool metrics = new RecordingMetrics.Pool();

  private WarmPool pool(int replicas) {
    return pool(replicas, WarmPoolPolicy.DEFAULTS);
  }

  private WarmPool pool(int replicas, WarmPoolPolicy policy) {
    return new WarmPool(ClaimFixtures.pool(replicas), policy, actions, metrics, "fake", 7L);
  }

  /** A claim received now: tenant "t", priority 0, wait 10 s, no TTL. */
  private ClaimFixtures.Builder claim() {
    return ClaimFixtures.claim().at(clock.nanoTime());
  }

  private long now() {
    return clock.nanoTime();
  }

  /** Reports every outstanding create as ready, oldest first; returns their names. */
  private List<String> readyAll(WarmPool pool) {
    List<String> names = actions.takeCreates();
    for (String name : names) pool.onSandboxReady(name, ADDRESSES, now());
    return names;
  }

  private WarmPool warmPool(int replicas) {
    WarmPool pool = pool(replicas);
    pool.onTick(now());
    readyAll(pool);
    return pool;
  }

  // ---------------------------------------------------------------- warm path

  @Test
  void shouldNeverReuseASandboxNameWhenMembersChurn() {
    WarmPool pool = warmPool(4);
    java.util.Set<String> seen = new java.util.HashSet<>(actions.creates);
    for (int i = 0; i < 50_000; i++) {
      io.agentsandbox.core.testing.RecordingTicket t = claim().ticket();
      pool.tryAssign(t, now());
      String name = t.assigned().sandbox().name();
      pool.release(t.assigned().claimId(), now());
      pool.onSandboxDeleted(name, now());
      for (String created : readyAll(pool))
        assertThat(seen.add(created)).as("name reused: " + created).isTrue();
    }
    assertThat(seen).hasSizeGreaterThan(50_000);
    assertThat(seen).allMatch(n -> n.matches("python-gvisor-[b-z2-9]{5}"));
  }

  @Test
  void shouldCreateReplicasOnFirstTickAssignWarmAndReplenish() {
    WarmPool pool = pool(3);
    assertThat(actions.creates).isEmpty();

    pool.onTick(now());
    assertThat(actions.creates).hasSize(3).doesNotHaveDuplicates();
    assertThat(pool.startingCount()).isEqualTo(3);

    List<String> names = readyAll(pool);
    assertThat(pool.readyCount()).isEqualTo(3);
    assertThat(pool.startingCount()).isZero();
    assertThat(metrics.ready.get()).isEqualTo(3);

    RecordingTicket ticket = claim().ticket();
    ClaimOutcome outcome = pool.tryAssign(ticket, now());

    assertThat(outcome).isInstanceOf(ClaimOutcome.Assigned.class);
    ClaimOutcome.Assigned assigned = (ClaimOutcome.Assigned) outcome;
    assertThat(assigned.launchType()).isEqualTo(LaunchType.WARM);
    assertThat(assigned.sandbox().name()).isIn(names);
    assertThat(assigned.sandbox().addresses()).isEqualTo(ADDRESSES);
    assertThat(assigned.sandbox().backend()).isEqualTo("fake");
    assertThat(assigned.waitedNs()).isZero();
    assertThat(assigned.expiresAtNs()).isZero();
    assertThat(ticket.completions()).isEqualTo(1);
    assertThat(ticket.outcome()).isEqualTo(outcome);
    assertThat(metrics.warm.get()).isEqualTo(1);

    // Replenished back to 3 unclaimed members.
    assertThat(actions.creates).hasSize(4);
    assertThat(pool.readyCount() + pool.startingCount()).isEqualTo(3);
    assertThat(pool.claimedCount()).isEqualTo(1);
    assertThat(pool.findClaim(ticket.request().claimId()).isBound()).isTrue();
  }

  @Test
  void shouldNotCreateMoreWhenTickedAgainAtTarget() {
    WarmPool pool = warmPool(3);

    pool.onTick(clock.advanceMs(1_000));

    assertThat(actions.creates).hasSize(3);
    assertThat(actions.deletes).isEmpty();
  }

  // ---------------------------------------------------------------- onEmpty = wait

  @Test
  void shouldParkWaitClaimAndCompleteItWarmWhenSandboxBecomesReady() {
    WarmPool pool = pool(0);
    RecordingTicket ticket = claim().onEmpty(OnEmpty.WAIT).ticket();

    ClaimOutcome outcome = pool.tryAssign(ticket, now());

    assertThat(outcome).isSameAs(ClaimOutcome.Pending.INSTANCE);
    assertThat(ticket.isAnswered()).isFalse();
    assertThat(pool.pendingCount()).isEqualTo(1);
    assertThat(pool.desired()).isEqualTo(1);
    assertThat(actions.creates).hasSize(1);
    assertThat(pool.findClaim(ticket.request().claimId()).isBound()).isFalse();

    clock.advanceMs(250);
    readyAll(pool);

    assertThat(ticket.completions()).isEqualTo(1);
    assertThat(ticket.assigned().launchType()).isEqualTo(LaunchType.WARM);
    assertThat(ticket.assigned().waitedNs()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(250));
    assertThat(ticket.assigned().sandbox().name()).isEqualTo(actions.creates.get(0));
    assertThat(pool.pendingCount()).isZero();
    assertThat(pool.claimedCount()).isEqualTo(1);
  }

  @Test
  void shouldRejectWithDeadlineWhenNoSandboxBecomesReadyBeforeWaitEnds() {
    WarmPool pool = pool(0);
    RecordingTicket ticket = claim().waitMs(500).ticket();
    pool.tryAssign(ticket, now());
    long start = now();

    pool.onTick(start + TimeUnit.MILLISECONDS.toNanos(499));
    assertThat(ticket.isAnswered()).isFalse();

    pool.onTick(start + TimeUnit.MILLISECONDS.toNanos(500));

    assertThat(ticket.completions()).isEqualTo(1);
    assertThat(ticket.rejected().reason()).isEqualTo(RejectReason.DEADLINE);
    assertThat(ticket.rejected().reason().httpStatus()).isEqualTo(504);
    assertThat(actions.endedClaims).containsExactly(ticket.request().claimId());
    assertThat(pool.pendingCount()).isZero();
    assertThat(metrics.rejected(RejectReason.DEADLINE)).isEqualTo(1);

    // The sandbox started for it joins the pool and is trimmed as surplus; the ticket is not
    // touched.
    readyAll(pool);
    assertThat(ticket.completions()).isEqualTo(1);
    assertThat(actions.deletes).containsExactly(actions.creates.get(0));
  }

  // ---------------------------------------------------------------- onEmpty = reject

  @Test
  void shouldRejectPoolEmptyAndChangeNothingWhenOnEmptyIsReject() {
    WarmPool pool = pool(2);
    pool.onTick(now());
    int createsBefore = actions.creates.size();

    RecordingTicket ticket = claim().onEmpty(OnEmpty.REJECT).ticket();
    ClaimOutcome outcome = pool.tryAssign(ticket, now());

    assertThat(outcome).isInstanceOf(ClaimOutcome.Rejected.class);
    ClaimOutcome.Rejected rejected = (ClaimOutcome.Rejected) outcome;
    assertThat(rejected.reason()).isEqualTo(RejectReason.POOL_EMPTY);
    assertThat(rejected.retryAfterMs()).isPositive();
    assertThat(ticket.completions()).isEqualTo(1);
    assertThat(actions.creates).hasSize(createsBefore);
    assertThat(actions.deletes).isEmpty();
    assertThat(actions.endedClaims).isEmpty();
    assertThat(pool.startingCount()).isEqualTo(2);
    assertThat(pool.readyCount()).isZero();
    assertThat(pool.pendingCount()).isZero();
    assertThat(pool.claimedCount()).isZero();
    assertThat(pool.desired()).isEqualTo(2);
    assertThat(pool.findClaim(ticket.request().claimId())).isNull();
  }

  @Test
  void shouldNotCountRejectedClaimAgainstTenantQuota() {
    WarmPool pool = pool(0, WarmPoolPolicy.DEFAULTS.withMaxClaimsPerTenant(1));
    for (int i = 0; i < 3; i++) {
      assertThat(pool.tryAssign(claim().tenant("A").onEmpty(OnEmpty.REJECT).ticket(), now()))
          .extracting(o -> ((ClaimOutcome.Rejected) o).reason())
          .isEqualTo(RejectReason.POOL_EMPTY);
    }

    assertThat(pool.tryAssign(claim().tenant("A").ticket(), now()))
        .isSameAs(ClaimOutcome.Pending.INSTANCE);
  }

  // ---------------------------------------------------------------- onEmpty = cold

  @Test
  void shouldStartDedicatedSandboxAndBindColdWhenOnEmptyIsCold() {
    WarmPool pool = pool(0);
    RecordingTicket ticket = claim().onEmpty(OnEmpty.COLD).ticket();

    assertThat(pool.tryAssign(ticket, now())).isSameAs(ClaimOutcome.Pending.INSTANCE);
    assertThat(actions.creates).hasSize(1);
    String dedicated = actions.creates.get(0);

    clock.advanceMs(120);
    pool.onSandboxReady(dedicated, ADDRESSES, now());

    assertThat(ticket.completions()).isEqualTo(1);
    assertThat(ticket.assigned().launchType()).isEqualTo(LaunchType.COLD);
    assertThat(ticket.assigned().sandbox().name()).isEqualTo(dedicated);
    assertThat(ticket.assigned().waitedNs()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(120));
    assertThat(metrics.cold.get()).isEqualTo(1);
    assertThat(pool.claimedCount()).isEqualTo(1);
    assertThat(pool.readyCount()).isZero();
    assertThat(actions.creates).hasSize(1);
  }

  @Test
  void shouldRejectProvisionFailedWhenColdStartFails() {
    WarmPool pool = pool(0);
    RecordingTicket ticket = claim().onEmpty(OnEmpty.COLD).ticket();
    pool.tryAssign(ticket, now());

    pool.onSandboxFailed(actions.creates.get(0), "image pull failed", now());

    assertThat(ticket.completions()).isEqualTo(1);
    assertThat(ticket.rejected().reason()).isEqualTo(RejectReason.PROVISION_FAILED);
    assertThat(ticket.rejected().message()).contains("image pull failed");
    assertThat(actions.endedClaims).containsExactly(ticket.request().claimId());
    assertThat(pool.pendingCount()).isZero();
    assertThat(pool.startingCount()).isZero();
  }

  // ---------------------------------------------------------------- release

  @Test
  void shouldDeleteReleasedSandboxAndNeverAssignItAgain() {
    WarmPool pool = warmPool(2);
    Set<String> assignedNames = new HashSet<>();
    List<String> all = new ArrayList<>();

    for (int i = 0; i < 30; i++) {
      RecordingTicket ticket = claim().ticket();
      pool.tryAssign(ticket, now());
      if (!ticket.isAnswered()) readyAll(pool);
      String name = ticket.assigned().sandbox().name();
      assertThat(actions.deletes).doesNotContain(name);
      all.add(name);
      assignedNames.add(name);

      assertThat(pool.release(ticket.request().claimId(), now()))
          .isEqualTo(WarmPool.ReleaseResult.RELEASED);
      assertThat(actions.deletes).endsWith(name);
      assertThat(actions.endedClaims).endsWith(ticket.request().claimId());
      pool.onSandboxDeleted(name, now());
      if (i % 3 == 0) readyAll(pool);
    }

    assertThat(all).hasSize(30);
    assertThat(assignedNames).hasSize(30);
    assertThat(metrics.released.get()).isEqualTo(30);
    assertThat(pool.claimedCount()).isZero();
    assertThat(pool.deletingCount()).isZero();
  }

  @Test
  void shouldReturnUnknownWhenReleasingUnknownClaim() {
    WarmPool pool = warmPool(1);

    assertThat(pool.release("no-such-claim", now())).isEqualTo(WarmPool.ReleaseResult.UNKNOWN);
    assertThat(actions.deletes).isEmpty();
    assertThat(actions.endedClaims).isEmpty();
  }

  @Test
  void shouldReturnUnknownWhenReleasingClaimTwice() {
    WarmPool pool = warmPool(1);
    RecordingTicket ticket = claim().ticket();
    pool.tryAssign(ticket, now());

    assertThat(pool.release(ticket.request().claimId(), now()))
        .isEqualTo(WarmPool.ReleaseResult.RELEASED);
    assertThat(pool.release(ticket.request().claimId(), now()))
        .isEqualTo(WarmPool.ReleaseResult.UNKNOWN);
    assertThat(actions.deletes).hasSize(1);
  }

  @Test
  void shouldCancelWaitingClaimWhenReleased() {
    WarmPool pool = pool(0);
    RecordingTicket ticket = claim().ticket();
    pool.tryAssign(ticket, now());

    assertThat(pool.release(ticket.request().claimId(), now()))
        .isEqualTo(WarmPool.ReleaseResult.CANCELLED);

    assertThat(ticket.completions()).isEqualTo(1);
    assertThat(ticket.rejected().reason()).isEqualTo(RejectReason.CANCELLED);
    assertThat(actions.endedClaims).containsExactly(ticket.request().claimId());
    assertThat(pool.pendingCount()).isZero();
    assertThat(pool.desired()).isZero();

    // A later ready sandbox does not touch the cancelled ticket, and its deadline does not fire.
    readyAll(pool);
    pool.onTick(clock.advance(1, TimeUnit.MINUTES));
    assertThat(ticket.completions()).isEqualTo(1);
    assertThat(pool.claimedCount()).isZero();
  }

  // ---------------------------------------------------------------- TTL

  @Test
  void shouldReleaseAndDeleteSandboxWhenClaimTtlExpires() {
    WarmPool pool = warmPool(1);
    RecordingTicket ticket = claim().ttlMs(1_000).ticket();
    pool.tryAssign(ticket, now());
    long start = now();
    String name = ticket.assigned().sandbox().name();
    assertThat(ticket.assigned().expiresAtNs()).isEqualTo(start + TimeUnit.SECONDS.toNanos(1));

    pool.onTick(start + TimeUnit.MILLISECONDS.toNanos(999));
    assertThat(pool.claimedCount()).isEqualTo(1);
    assertThat(actions.deletes).isEmpty();

    pool.onTick(start + TimeUnit.MILLISECONDS.toNanos(1_000));

    assertThat(pool.claimedCount()).isZero();
    assertThat(actions.deletes).containsExactly(name);
    assertThat(actions.endedClaims).containsExactly(ticket.request().claimId());
    assertThat(metrics.releasedByTtl.get()).isEqualTo(1);
    assertThat(pool.release(ticket.request().claimId(), now()))
        .isEqualTo(WarmPool.ReleaseResult.UNKNOWN);
  }

  @Test
  void shouldNotExpireTtlOfClaimReleasedEarlier() {
    WarmPool pool = warmPool(1);
    RecordingTicket ticket = claim().ttlMs(1_000).ticket();
    pool.tryAssign(ticket, now());
    pool.release(ticket.request().claimId(), now());

    pool.onTick(clock.advanceMs(2_000));

    assertThat(actions.endedClaims).containsExactly(ticket.request().claimId());
    assertThat(metrics.releasedByTtl.get()).isZero();
    assertThat(metrics.released.get()).isEqualTo(1);
  }

  // ---------------------------------------------------------------- stuck members and backoff

  @Test
  void shouldDeleteAndReplaceMemberNotReadyWithinReadinessGrace() {
    WarmPool pool =
        pool(1, WarmPoolPolicy.DEFAULTS.withReadinessGraceNs(TimeUnit.SECONDS.toNanos(60)));
    pool.onTick(now());
    String stuck = actions.takeCreate();
    long start = now();

    pool.onTick(start + TimeUnit.SECONDS.toNanos(60) - 1);
    assertThat(actions.deletes).isEmpty();
    assertThat(actions.creates).hasSize(1);

    pool.onTick(start + TimeUnit.SECONDS.toNanos(60));

    assertThat(actions.deletes).containsExactly(stuck);
    assertThat(actions.creates).hasSize(2);
    assertThat(metrics.stuck.get()).isEqualTo(1);
    assertThat(pool.startingCount()).isEqualTo(1);

    // The stuck member coming up late is ignored; the replacement joins the pool.
    pool.onSandboxReady(stuck, ADDRESSES, now());
    assertThat(pool.readyCount()).isZero();
    String replacement = actions.takeCreate();
    pool.onSandboxReady(replacement, ADDRESSES, now());
    assertThat(pool.readyCount()).isEqualTo(1);
    pool.onSandboxDeleted(stuck, now());
    assertThat(pool.deletingCount()).isZero();
  }

  @Test
  void shouldReplaceStuckColdStartWhileOtherMembersAreStarting() {
    // Regression: replacing a stuck cold start added to the starting map while iterating it.
    long grace = TimeUnit.SECONDS.toNanos(1);
    WarmPool pool = pool(0, WarmPoolPolicy.DEFAULTS.withReadinessGraceNs(grace));
    RecordingTicket cold = claim().onEmpty(OnEmpty.COLD).waitMs(60_000).ticket();
    pool.tryAssign(cold, now());
    String stuckCold = actions.takeCreate();
    pool.updateSpec(ClaimFixtures.pool(2), now());
    List<String> poolMembers = actions.takeCreates();
    assertThat(poolMembers).hasSize(2);

    pool.onTick(clock.advance(grace, TimeUnit.NANOSECONDS));

    assertThat(actions.deletes)
        .containsExactlyInAnyOrder(stuckCold, poolMembers.get(0), poolMembers.get(1));
    assertThat(metrics.stuck.get()).isEqualTo(3);
    assertThat(cold.isAnswered()).isFalse();
    List<String> fresh = actions.takeCreates();
    assertThat(fresh).hasSize(3);
    assertThat(pool.startingCount()).isEqualTo(3);

    // The cold claim is bound to its replacement, which is the first fresh create.
    pool.onSandboxReady(fresh.get(0), ADDRESSES, now());
    assertThat(cold.assigned().launchType()).isEqualTo(LaunchType.COLD);
    assertThat(cold.assigned().sandbox().name()).isEqualTo(fresh.get(0));
  }

  @Test
  void shouldNotCreateUntilBackoffElapsedAfterFailedCreate() {
    WarmPool pool = pool(1);
    pool.onTick(now());
    long failedAt = now();
    pool.onSandboxFailed(actions.takeCreate(), "quota exceeded", failedAt);
    assertThat(metrics.failed.get()).isEqualTo(1);
    assertThat(actions.creates).hasSize(1);

    pool.onTick(failedAt + WarmPoolPolicy.DEFAULTS.createBackoffBaseNs() - 1);
    assertThat(actions.creates).hasSize(1);

    pool.onTick(failedAt + WarmPoolPolicy.DEFAULTS.createBackoffBaseNs());
    assertThat(actions.creates).hasSize(2);

    // A second consecutive failure doubles the delay.
    long failedAgainAt = failedAt + WarmPoolPolicy.DEFAULTS.createBackoffBaseNs();
    pool.onSandboxFailed(actions.takeCreate(), "quota exceeded", failedAgainAt);
    pool.onTick(failedAgainAt + 2 * WarmPoolPolicy.DEFAULTS.createBackoffBaseNs() - 1);
    assertThat(actions.creates).hasSize(2);
    pool.onTick(failedAgainAt + 2 * WarmPoolPolicy.DEFAULTS.createBackoffBaseNs());
    assertThat(actions.creates).hasSize(3);

    // A success ends the backoff.
    pool.onSandboxReady(actions.takeCreate(), ADDRESSES, now());
    assertThat(pool.readyCount()).isEqualTo(1);
  }

  @Test
  void shouldProbeWithOneCreateAtATimeWhileBackingOff() {
    WarmPool pool = pool(3);
    pool.onTick(now());
    long failedAt = now();
    for (String name : actions.takeCreates())
      pool.onSandboxFailed(name, "node pool exhausted", failedAt);
    long backoff = 4 * WarmPoolPolicy.DEFAULTS.createBackoffBaseNs(); // third consecutive failure

    pool.onTick(failedAt + backoff - 1);
    assertThat(actions.takeCreates()).isEmpty();

    pool.onTick(failedAt + backoff);
    List<String> probe = actions.takeCreates();
    assertThat(probe).hasSize(1);

    pool.onTick(failedAt + backoff + TimeUnit.SECONDS.toNanos(1));
    assertThat(actions.takeCreates()).isEmpty();

    // The probe succeeds: the pool fills up at once.
    pool.onSandboxReady(probe.get(0), ADDRESSES, failedAt + backoff + TimeUnit.SECONDS.toNanos(1));
    assertThat(actions.takeCreates()).hasSize(2);
  }

  // ---------------------------------------------------------------- fairness and priority

  @Test
  void shouldServeTenantWithOneClaimAmongFirstTwoWhenAnotherTenantFloodedThePool() {
    WarmPool pool = pool(0);
    List<RecordingTicket> flood = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      RecordingTicket t = claim().tenant("A").ticket();
      flood.add(t);
      assertThat(pool.tryAssign(t, now())).isSameAs(ClaimOutcome.Pending.INSTANCE);
    }
    RecordingTicket single = claim().tenant("B").ticket();
    pool.tryAssign(single, now());
    List<String> sandboxes = actions.takeCreates();
    assertThat(sandboxes).hasSize(51);

    List<String> servedTenants = new ArrayList<>();
    List<RecordingTicket> all = new ArrayList<>(flood);
    all.add(single);
    for (String name : sandboxes) {
      clock.advanceMs(1);
      pool.onSandboxReady(name, ADDRESSES, now());
      for (RecordingTicket t : all) {
        if (t.isAnswered() && t.assigned().sandbox().name().equals(name))
          servedTenants.add(t.request().tenant());
      }
    }

    assertThat(servedTenants).hasSize(51);
    assertThat(servedTenants.subList(0, 2)).contains("B");
    assertThat(all).allSatisfy(t -> assertThat(t.completions()).isEqualTo(1));
    // FIFO within tenant A.
    List<Long> waitedA = flood.stream().map(t -> t.assigned().waitedNs()).toList();
    assertThat(waitedA).isSorted();
  }

  @Test
  void shouldServeHigherPriorityClaimFirstEvenWhenParkedLater() {
    WarmPool pool = pool(0);
    List<RecordingTicket> low = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      RecordingTicket t = claim().priority(0).tenant("t" + i).ticket();
      low.add(t);
      pool.tryAssign(t, now());
    }
    RecordingTicket high = claim().priority(10).ticket();
    pool.tryAssign(high, now());

    pool.onSandboxReady(actions.takeCreate(), ADDRESSES, now());

    assertThat(high.isAnswered()).isTrue();
    assertThat(high.assigned().launchType()).isEqualTo(LaunchType.WARM);
    assertThat(low).noneMatch(RecordingTicket::isAnswered);
  }

  // ---------------------------------------------------------------- quota

  @Test
  void shouldRejectTenantQuotaWhenTenantHoldsItsCapWhileOtherTenantStillGetsOne() {
    WarmPool pool = pool(4, WarmPoolPolicy.DEFAULTS.withMaxClaimsPerTenant(2));
    pool.onTick(now());
    readyAll(pool);

    RecordingTicket a1 = claim().tenant("A").ticket();
    RecordingTicket a2 = claim().tenant("A").ticket();
    RecordingTicket a3 = claim().tenant("A").ticket();
    RecordingTicket b1 = claim().tenant("B").ticket();
    pool.tryAssign(a1, now());
    pool.tryAssign(a2, now());
    ClaimOutcome third = pool.tryAssign(a3, now());
    pool.tryAssign(b1, now());

    assertThat(a1.assigned()).isNotNull();
    assertThat(a2.assigned()).isNotNull();
    assertThat(third).isInstanceOf(ClaimOutcome.Rejected.class);
    assertThat(a3.rejected().reason()).isEqualTo(RejectReason.TENANT_QUOTA);
    assertThat(a3.rejected().reason().httpStatus()).isEqualTo(429);
    assertThat(a3.rejected().retryAfterMs()).isPositive();
    assertThat(b1.assigned()).isNotNull();
    assertThat(metrics.rejected(RejectReason.TENANT_QUOTA)).isEqualTo(1);

    // Releasing one frees a slot.
    pool.release(a1.request().claimId(), now());
    RecordingTicket a4 = claim().tenant("A").ticket();
    pool.tryAssign(a4, now());
    assertThat(a4.assigned()).isNotNull();
  }

  @Test
  void shouldCountWaitingClaimsAgainstTenantQuota() {
    WarmPool pool = pool(0, WarmPoolPolicy.DEFAULTS.withMaxClaimsPerTenant(2));
    pool.tryAssign(claim().tenant("A").ticket(), now());
    pool.tryAssign(claim().tenant("A").onEmpty(OnEmpty.COLD).ticket(), now());

    RecordingTicket third = claim().tenant("A").ticket();
    pool.tryAssign(third, now());

    assertThat(third.rejected().reason()).isEqualTo(RejectReason.TENANT_QUOTA);
    assertThat(pool.tryAssign(claim().tenant("B").ticket(), now()))
        .isSameAs(ClaimOutcome.Pending.INSTANCE);
  }

  @Test
  void shouldUsePoolQuotaOverPolicyDefaultWhenPoolSetsOne() {
    PoolSpec spec =
        new PoolSpec(
            ClaimFixtures.POOL,
            ClaimFixtures.blueprint(ClaimFixtures.pool(0).runtimeClass()),
            0,
            1);
    WarmPool pool = new WarmPool(spec, WarmPoolPolicy.DEFAULTS, actions, metrics, "fake", 1L);
    pool.tryAssign(claim().tenant("A").ticket(), now());

    RecordingTicket second = claim().tenant("A").ticket();
    pool.tryAssign(second, now());

    assertThat(second.rejected().reason()).isEqualTo(RejectReason.TENANT_QUOTA);
  }

  // ---------------------------------------------------------------- lifecycle

  @Test
  void shouldRejectWaitingClaimsWithPoolRemovedAndDeleteStartingMembersWhenRemoved() {
    WarmPool pool = pool(0);
    RecordingTicket waiting = claim().ticket();
    RecordingTicket cold = claim().onEmpty(OnEmpty.COLD).ticket();
    pool.tryAssign(waiting, now());
    pool.tryAssign(cold, now());
    List<String> starting = actions.takeCreates();

    pool.remove(now());

    assertThat(waiting.rejected().reason()).isEqualTo(RejectReason.POOL_REMOVED);
    assertThat(cold.rejected().reason()).isEqualTo(RejectReason.POOL_REMOVED);
    assertThat(actions.endedClaims)
        .containsExactlyInAnyOrder(waiting.request().claimId(), cold.request().claimId());
    assertThat(actions.deletes).containsExactlyInAnyOrderElementsOf(starting);
    assertThat(pool.pendingCount()).isZero();
    assertThat(pool.startingCount()).isZero();
    assertThat(pool.isRemoved()).isTrue();

    RecordingTicket late = claim().ticket();
    pool.tryAssign(late, now());
    assertThat(late.rejected().reason()).isEqualTo(RejectReason.POOL_REMOVED);
    pool.onTick(clock.advanceMs(1_000));
    assertThat(actions.takeCreates()).isEmpty();

    for (String name : starting) pool.onSandboxDeleted(name, now());
    assertThat(pool.isDrained()).isTrue();
  }

  @Test
  void shouldDeleteReadyMembersButKeepBoundClaimsUntilReleasedWhenRemoved() {
    WarmPool pool = warmPool(2);
    RecordingTicket bound = claim().ttlMs(60_000).ticket();
    pool.tryAssign(bound, now());
    String boundName = bound.assigned().sandbox().name();
    readyAll(pool); // the replenishment
    assertThat(pool.readyCount()).isEqualTo(2);

    pool.remove(now());

    assertThat(pool.readyCount()).isZero();
    assertThat(actions.deletes).hasSize(2).doesNotContain(boundName);
    assertThat(pool.claimedCount()).isEqualTo(1);
    assertThat(pool.findClaim(bound.request().claimId()).isBound()).isTrue();
    assertThat(actions.endedClaims).isEmpty();
    for (String name : List.copyOf(actions.deletes)) pool.onSandboxDeleted(name, now());
    assertThat(pool.isDrained()).isFalse();

    assertThat(pool.release(bound.request().claimId(), now()))
        .isEqualTo(WarmPool.ReleaseResult.RELEASED);
    assertThat(actions.deletes).endsWith(boundName);
    pool.onSandboxDeleted(boundName, now());
    assertThat(pool.isDrained()).isTrue();
    assertThat(actions.takeCreates()).isEmpty();
  }

  @Test
  void shouldDeleteSurplusReadyMembersWhenReplicasAreLowered() {
    WarmPool pool = warmPool(3);

    pool.updateSpec(ClaimFixtures.pool(1), now());

    assertThat(actions.deletes).hasSize(2);
    assertThat(pool.readyCount()).isEqualTo(1);
    assertThat(pool.desired()).isEqualTo(1);
    pool.onTick(clock.advanceMs(1_000));
    assertThat(actions.creates).hasSize(3);
    assertThat(actions.deletes).hasSize(2);
  }

  @Test
  void shouldCreateMembersWhenReplicasAreRaised() {
    WarmPool pool = warmPool(1);

    pool.updateSpec(ClaimFixtures.pool(4), now());

    assertThat(actions.takeCreates()).hasSize(3);
    assertThat(pool.desired()).isEqualTo(4);
  }

  @Test
  void shouldRejectAllWaitingClaimsWithGivenReasonAtShutdown() {
    WarmPool pool = pool(0);
    RecordingTicket a = claim().ticket();
    RecordingTicket b = claim().onEmpty(OnEmpty.COLD).ticket();
    pool.tryAssign(a, now());
    pool.tryAssign(b, now());

    pool.rejectAllWaiting(RejectReason.SHUTTING_DOWN, "bye");

    assertThat(List.of(a, b))
        .allSatisfy(
            t -> {
              assertThat(t.completions()).isEqualTo(1);
              assertThat(t.rejected().reason()).isEqualTo(RejectReason.SHUTTING_DOWN);
            });
    assertThat(pool.pendingCount()).isZero();
  }

  @Test
  void shouldUnbindClaimWhenItsSandboxDies() {
    WarmPool pool = warmPool(1);
    RecordingTicket ticket = claim().ttlMs(1_000).ticket();
    pool.tryAssign(ticket, now());
    String name = ticket.assigned().sandbox().name();

    long diedAt = now();
    pool.onSandboxFailed(name, "OutOfMemory: killed at its memory limit", diedAt);

    assertThat(pool.claimedCount()).isZero();
    assertThat(actions.endedClaims).containsExactly(ticket.request().claimId());
    assertThat(actions.lostClaims)
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.isLost()).isTrue();
              assertThat(v.isBound()).isFalse();
              assertThat(v.assignment().sandbox().name()).isEqualTo(name);
              assertThat(v.lost())
                  .isEqualTo(new ClaimView.Lost("OutOfMemory: killed at its memory limit", diedAt));
            });
    assertThat(pool.release(ticket.request().claimId(), now()))
        .isEqualTo(WarmPool.ReleaseResult.UNKNOWN);
    pool.onTick(clock.advanceMs(5_000));
    assertThat(actions.endedClaims).hasSize(1);
  }
}
