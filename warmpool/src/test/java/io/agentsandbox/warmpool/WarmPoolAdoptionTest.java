package io.agentsandbox.warmpool;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.ClaimRequest;
import io.agentsandbox.core.model.ClaimTicket;
import io.agentsandbox.core.model.LaunchType;
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

/**
 * Restart recovery (adopting sandboxes of a previous run) and deferred acknowledgement
 * (bindingMade).
 */
class WarmPoolAdoptionTest {

  private static final List<String> ADDRESSES = List.of("10.0.0.7");

  private final ManualClock clock = new ManualClock();
  private final RecordingPoolActions actions = new RecordingPoolActions();
  private final RecordingMetrics.Pool metrics = new RecordingMetrics.Pool();

  private WarmPool pool(int replicas, PoolActions a) {
    return new WarmPool(
        ClaimFixtures.pool(replicas), WarmPoolPolicy.DEFAULTS, a, metrics, "fake", 7L);
  }

  private long now() {
    return clock.nanoTime();
  }

  @Test
  void shouldCountAdoptedReadySandboxesTowardTargetAndAssignThemWarm() {
    WarmPool pool = pool(3, actions);
    pool.adoptReady("python-gvisor-aaaaa", ADDRESSES, now());
    pool.adoptReady("python-gvisor-bbbbb", ADDRESSES, now());
    pool.onTick(now());
    assertThat(actions.takeCreates()).as("only the missing one is started").hasSize(1);
    assertThat(pool.readyCount()).isEqualTo(2);

    RecordingTicket t = ClaimFixtures.claim().at(now()).ticket();
    pool.tryAssign(t, now());
    assertThat(t.assigned().sandbox().name()).isEqualTo("python-gvisor-aaaaa");
    assertThat(t.assigned().launchType()).isEqualTo(LaunchType.WARM);
  }

  @Test
  void shouldRestoreBoundClaimWithRemainingTtlAndDeleteItsSandboxWhenItExpires() {
    WarmPool pool = pool(1, actions);
    ClaimRequest claim =
        ClaimFixtures.claim().id("cl-0-restored").tenant("alice").ttlMs(60_000).at(now()).build();
    long expiresAt = now() + TimeUnit.SECONDS.toNanos(5);
    pool.adoptBound("python-gvisor-ccccc", ADDRESSES, claim, LaunchType.COLD, expiresAt, now());
    pool.onTick(now());
    assertThat(actions.takeCreates()).as("a bound member is not unclaimed stock").hasSize(1);

    ClaimView view = pool.findClaim("cl-0-restored");
    assertThat(view.isBound()).isTrue();
    assertThat(view.assignment().sandbox().name()).isEqualTo("python-gvisor-ccccc");
    assertThat(view.assignment().launchType()).isEqualTo(LaunchType.COLD);
    assertThat(view.request().tenant()).isEqualTo("alice");
    assertThat(pool.claimedCount()).isEqualTo(1);

    clock.advance(4, TimeUnit.SECONDS);
    pool.onTick(now());
    assertThat(pool.findClaim("cl-0-restored")).isNotNull();
    clock.advance(1, TimeUnit.SECONDS);
    pool.onTick(now());
    assertThat(pool.findClaim("cl-0-restored")).isNull();
    assertThat(actions.deletes).containsExactly("python-gvisor-ccccc");
    assertThat(actions.endedClaims).containsExactly("cl-0-restored");
  }

  @Test
  void shouldReleaseRestoredClaimLikeAnyOther() {
    WarmPool pool = pool(0, actions);
    ClaimRequest claim = ClaimFixtures.claim().id("cl-0-restored").at(now()).build();
    pool.adoptBound("python-gvisor-ddddd", ADDRESSES, claim, LaunchType.WARM, 0, now());
    assertThat(pool.release("cl-0-restored", now())).isEqualTo(WarmPool.ReleaseResult.RELEASED);
    assertThat(actions.deletes).containsExactly("python-gvisor-ddddd");
  }

  @Test
  void shouldNotHandOutAnAdoptedNameAgainAfterItsSandboxIsGone() {
    // The same seed as the previous run: the adopted names come from the same sequence.
    RecordingPoolActions prevActions = new RecordingPoolActions();
    WarmPool previous = pool(5, prevActions);
    previous.onTick(now());
    List<String> previousNames = prevActions.takeCreates();

    WarmPool pool = pool(5, actions);
    for (String name : previousNames) pool.adoptReady(name, ADDRESSES, now());
    pool.onTick(now());
    assertThat(actions.creates).isEmpty();
    Set<String> seen = new HashSet<>(previousNames);
    for (int i = 0; i < 200; i++) {
      RecordingTicket t = ClaimFixtures.claim().at(now()).ticket();
      pool.tryAssign(t, now());
      pool.release(t.assigned().claimId(), now());
      pool.onSandboxDeleted(t.assigned().sandbox().name(), now());
      for (String created : actions.takeCreates()) {
        assertThat(seen.add(created)).as("name handed out twice: " + created).isTrue();
        pool.onSandboxReady(created, ADDRESSES, now());
      }
    }
  }

  @Test
  void shouldLeaveAcknowledgementToOwnerThroughBindingMade() {
    List<ClaimTicket> deferred = new ArrayList<>();
    List<ClaimOutcome.Assigned> bindings = new ArrayList<>();
    PoolActions deferring =
        new PoolActions() {
          @Override
          public void createSandbox(
              io.agentsandbox.core.model.PoolKey pool,
              String name,
              io.agentsandbox.core.model.SandboxBlueprint bp) {
            actions.createSandbox(pool, name, bp);
          }

          @Override
          public void deleteSandbox(io.agentsandbox.core.model.PoolKey pool, String name) {
            actions.deleteSandbox(pool, name);
          }

          @Override
          public void bindingMade(ClaimTicket ticket, ClaimOutcome.Assigned assigned) {
            deferred.add(ticket);
            bindings.add(assigned);
          }
        };
    WarmPool pool = pool(1, deferring);
    pool.onTick(now());
    pool.onSandboxReady(actions.takeCreate(), ADDRESSES, now());

    RecordingTicket t = ClaimFixtures.claim().id("cl-0-deferred").at(now()).ticket();
    ClaimOutcome outcome = pool.tryAssign(t, now());
    assertThat(outcome).isInstanceOf(ClaimOutcome.Assigned.class);
    assertThat(t.isAnswered()).as("the owner acknowledges, not the pool").isFalse();
    assertThat(deferred).containsExactly(t);
    assertThat(pool.findClaim("cl-0-deferred").assignment()).isSameAs(bindings.get(0));

    // A claim waiting for a sandbox is also handed over when one becomes ready.
    RecordingTicket waiting = ClaimFixtures.claim().id("cl-0-waiting").at(now()).ticket();
    pool.tryAssign(waiting, now());
    pool.onSandboxReady(actions.takeCreate(), ADDRESSES, now());
    assertThat(deferred).containsExactly(t, waiting);
    assertThat(waiting.isAnswered()).isFalse();
  }
}
