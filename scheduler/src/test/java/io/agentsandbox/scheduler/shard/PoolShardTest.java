package io.agentsandbox.scheduler.shard;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.LaunchType;
import io.agentsandbox.core.model.OnEmpty;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RejectReason;
import io.agentsandbox.core.testing.ClaimFixtures;
import io.agentsandbox.core.testing.FakeProvisioner;
import io.agentsandbox.core.testing.ManualClock;
import io.agentsandbox.core.testing.ManualExecutor;
import io.agentsandbox.core.testing.RecordingMetrics;
import io.agentsandbox.core.testing.RecordingTicket;
import io.agentsandbox.warmpool.WarmPoolPolicy;
import io.vertx.core.Promise;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Drives one shard by draining its inbox on the test thread: no event loop, no sleeps. */
class PoolShardTest {

  private static final PoolKey POOL = ClaimFixtures.POOL;
  private static final PoolKey OTHER = new PoolKey("default", "other");

  private final ManualExecutor executor = new ManualExecutor();
  private final ManualClock clock = new ManualClock();
  private final FakeProvisioner provisioner = new FakeProvisioner(false);
  private final RecordingMetrics metrics = new RecordingMetrics();
  private PoolShard shard;
  private ShardProxy proxy;

  @BeforeEach
  void setUp() {
    shard =
        new PoolShard(
            0,
            4,
            2,
            executor,
            clock,
            provisioner,
            metrics,
            WarmPoolPolicy.DEFAULTS,
            PoolShard.Options.DEFAULTS);
    proxy = new ShardProxy(shard);
    proxy.send(new ShardCommand.DeclarePool(ClaimFixtures.pool(POOL, 2)));
    executor.runAll();
  }

  private RecordingTicket submit(ClaimFixtures.Builder b) {
    RecordingTicket t = b.at(clock.nanoTime()).ticket();
    assertThat(shard.inbox().offerClaim(t)).isTrue();
    return t;
  }

  @Test
  void shouldCreateReplicasWhenPoolDeclared() {
    assertThat(provisioner.waiting()).hasSize(2);
    assertThat(provisioner.readyAll()).isEqualTo(2);
    executor.runAll();
    assertThat(shard.pool(POOL).readyCount()).isEqualTo(2);
  }

  @Test
  void shouldAssignReadySandboxThroughInbox() {
    provisioner.readyAll();
    executor.runAll();
    RecordingTicket t = submit(ClaimFixtures.claim());
    assertThat(t.isAnswered()).isFalse();
    executor.runAll();
    assertThat(t.outcome()).isInstanceOf(ClaimOutcome.Assigned.class);
    assertThat(t.assigned().launchType()).isEqualTo(LaunchType.WARM);
    assertThat(t.completions()).isEqualTo(1);
    assertThat(provisioner.waiting()).hasSize(1); // replenishment
  }

  @Test
  void shouldRejectUnknownPool() {
    RecordingTicket t = submit(ClaimFixtures.claim().pool(OTHER));
    executor.runAll();
    assertThat(t.rejected().reason()).isEqualTo(RejectReason.UNKNOWN_POOL);
  }

  @Test
  void shouldRefuseClaimWhenQueueFull() {
    for (int i = 0; i < 4; i++)
      assertThat(shard.inbox().offerClaim(ClaimFixtures.claim().ticket())).isTrue();
    assertThat(shard.inbox().offerClaim(ClaimFixtures.claim().ticket())).isFalse();
    executor.runAll();
    assertThat(shard.inbox().offerClaim(ClaimFixtures.claim().ticket())).isTrue();
  }

  @Test
  void shouldCallShardDirectlyWhenProxyIsOnOwnerThread() {
    provisioner.readyAll();
    executor.runAll();
    RecordingTicket t = ClaimFixtures.claim().at(clock.nanoTime()).ticket();
    assertThat(proxy.submitClaim(t)).isTrue();
    assertThat(t.outcome()).isInstanceOf(ClaimOutcome.Assigned.class);
    assertThat(shard.inbox().claimDepth()).isZero();
  }

  @Test
  void shouldHandleAtMostDrainLimitClaimsPerTurn() {
    provisioner.readyAll();
    executor.runAll();
    RecordingTicket a = submit(ClaimFixtures.claim());
    RecordingTicket b = submit(ClaimFixtures.claim());
    RecordingTicket c = submit(ClaimFixtures.claim().onEmpty(OnEmpty.REJECT));
    assertThat(executor.queued()).isEqualTo(1);
    executor.runAll();
    assertThat(a.isAnswered() && b.isAnswered() && c.isAnswered()).isTrue();
    assertThat(c.rejected().reason()).isEqualTo(RejectReason.POOL_EMPTY);
  }

  @Test
  void shouldExpireParkedClaimOnTick() {
    RecordingTicket t = submit(ClaimFixtures.claim().waitMs(100));
    executor.runAll();
    assertThat(t.isAnswered()).isFalse();
    shard.onTick(clock.advanceMs(99));
    assertThat(t.isAnswered()).isFalse();
    shard.onTick(clock.advanceMs(1));
    assertThat(t.rejected().reason()).isEqualTo(RejectReason.DEADLINE);
  }

  @Test
  void shouldServeParkedClaimWhenSandboxBecomesReady() {
    RecordingTicket t = submit(ClaimFixtures.claim());
    executor.runAll();
    clock.advanceMs(120);
    provisioner.readyAll();
    executor.runAll();
    assertThat(t.assigned().waitedNs()).isEqualTo(120_000_000L);
  }

  @Test
  void shouldReleaseOnlyForOwningTenant() {
    provisioner.readyAll();
    executor.runAll();
    RecordingTicket t = submit(ClaimFixtures.claim().tenant("alice"));
    executor.runAll();
    String id = t.assigned().claimId();

    Promise<ShardCommand.ReleaseReply> bob = Promise.promise();
    proxy.send(new ShardCommand.ReleaseClaim(id, "bob", bob));
    executor.runAll();
    assertThat(bob.future().result()).isEqualTo(ShardCommand.ReleaseReply.FORBIDDEN);

    Promise<ShardCommand.ReadReply> read = Promise.promise();
    proxy.send(new ShardCommand.ReadClaim(id, "alice", read));
    executor.runAll();
    assertThat(read.future().result().view().assignment().sandbox().name())
        .isEqualTo(t.assigned().sandbox().name());

    Promise<ShardCommand.ReleaseReply> alice = Promise.promise();
    proxy.send(new ShardCommand.ReleaseClaim(id, "alice", alice));
    executor.runAll();
    assertThat(alice.future().result()).isEqualTo(ShardCommand.ReleaseReply.RELEASED);
    assertThat(provisioner.deleted()).contains(t.assigned().sandbox().name());

    Promise<ShardCommand.ReleaseReply> again = Promise.promise();
    proxy.send(new ShardCommand.ReleaseClaim(id, "alice", again));
    executor.runAll();
    assertThat(again.future().result()).isEqualTo(ShardCommand.ReleaseReply.NOT_FOUND);
  }

  @Test
  void shouldKeepAClaimWhoseSandboxDiedReadableAsFailedUntilReleasedOrRetentionEnds() {
    provisioner.readyAll();
    executor.runAll();
    RecordingTicket t = submit(ClaimFixtures.claim().tenant("alice"));
    RecordingTicket u = submit(ClaimFixtures.claim().tenant("alice"));
    executor.runAll();
    String id = t.assigned().claimId();
    proxy.send(
        new ShardCommand.SandboxFailed(POOL, t.assigned().sandbox().name(), "OutOfMemory: 128Mi"));
    proxy.send(
        new ShardCommand.SandboxFailed(POOL, u.assigned().sandbox().name(), "Died: signal 9"));
    executor.runAll();

    ShardCommand.ReadReply read = read(id, "alice");
    assertThat(read.status()).isEqualTo(ShardCommand.ReadReply.Status.FOUND);
    assertThat(read.view().isLost()).isTrue();
    assertThat(read.view().lost().reason()).isEqualTo("OutOfMemory: 128Mi");
    assertThat(read(id, "bob").status()).isEqualTo(ShardCommand.ReadReply.Status.FORBIDDEN);

    Promise<ShardCommand.SandboxLookup> find = Promise.promise();
    proxy.send(new ShardCommand.FindClaimSandbox(id, find));
    executor.runAll();
    assertThat(find.future().result().status()).isEqualTo(ShardCommand.SandboxLookup.Status.GONE);
    assertThat(find.future().result().goneReason()).isEqualTo("OutOfMemory: 128Mi");

    Promise<ShardCommand.ReleaseReply> release = Promise.promise();
    proxy.send(new ShardCommand.ReleaseClaim(id, "alice", release));
    executor.runAll();
    assertThat(release.future().result()).isEqualTo(ShardCommand.ReleaseReply.RELEASED);
    assertThat(read(id, "alice").status()).isEqualTo(ShardCommand.ReadReply.Status.NOT_FOUND);

    String other = u.assigned().claimId();
    assertThat(read(other, "alice").view().lost().reason()).isEqualTo("Died: signal 9");
    clock.advance(ClaimIndex.LOST_RETENTION_NS, java.util.concurrent.TimeUnit.NANOSECONDS);
    assertThat(read(other, "alice").status()).isEqualTo(ShardCommand.ReadReply.Status.NOT_FOUND);
  }

  private ShardCommand.ReadReply read(String claimId, String tenant) {
    Promise<ShardCommand.ReadReply> read = Promise.promise();
    proxy.send(new ShardCommand.ReadClaim(claimId, tenant, read));
    executor.runAll();
    return read.future().result();
  }

  @Test
  void shouldReportPoolSnapshots() {
    provisioner.readyAll();
    executor.runAll();
    submit(ClaimFixtures.claim());
    executor.runAll();
    Promise<List<PoolSnapshot>> p = Promise.promise();
    proxy.send(new ShardCommand.ReadPools(p));
    executor.runAll();
    PoolSnapshot s = p.future().result().get(0);
    assertThat(s.ready()).isEqualTo(1);
    assertThat(s.claimed()).isEqualTo(1);
    assertThat(s.starting()).isEqualTo(1);
    assertThat(s.desired()).isEqualTo(2);
    assertThat(s.simulated()).isTrue();
    assertThat(metrics.pool(POOL).stats.ready()).isEqualTo(1);
  }

  @Test
  void shouldRejectWaitingClaimsOnShutdown() {
    RecordingTicket t = submit(ClaimFixtures.claim());
    executor.runAll();
    Promise<Void> done = Promise.promise();
    proxy.send(new ShardCommand.Shutdown(done));
    executor.runAll();
    assertThat(done.future().succeeded()).isTrue();
    assertThat(t.rejected().reason()).isEqualTo(RejectReason.SHUTTING_DOWN);
    RecordingTicket late = submit(ClaimFixtures.claim());
    executor.runAll();
    assertThat(late.rejected().reason()).isEqualTo(RejectReason.SHUTTING_DOWN);
  }

  @Test
  void shouldRejectWaitingClaimsWhenPoolRemoved() {
    RecordingTicket t = submit(ClaimFixtures.claim());
    executor.runAll();
    proxy.send(new ShardCommand.RemovePool(POOL));
    executor.runAll();
    assertThat(t.rejected().reason()).isEqualTo(RejectReason.POOL_REMOVED);
    RecordingTicket late = submit(ClaimFixtures.claim());
    executor.runAll();
    assertThat(late.rejected().reason()).isEqualTo(RejectReason.UNKNOWN_POOL);
  }

  @Test
  void shouldFailTicketAndCarryOnWhenHandlerThrows() {
    io.agentsandbox.core.port.SandboxProvisioner throwing =
        new io.agentsandbox.core.port.SandboxProvisioner() {
          @Override
          public void create(
              PoolKey pool,
              String name,
              io.agentsandbox.core.model.SandboxBlueprint b,
              io.agentsandbox.core.port.ProvisionListener l) {
            throw new IllegalStateException("backend exploded");
          }

          @Override
          public void delete(
              PoolKey pool, String name, io.agentsandbox.core.port.ProvisionListener l) {}

          @Override
          public String backendName() {
            return "throwing";
          }
        };
    PoolShard broken =
        new PoolShard(
            1,
            8,
            8,
            executor,
            clock,
            throwing,
            metrics,
            WarmPoolPolicy.DEFAULTS,
            PoolShard.Options.DEFAULTS);
    broken.inbox().offerControl(new ShardCommand.DeclarePool(ClaimFixtures.pool(OTHER, 0)));
    executor.runAll();
    RecordingTicket cold =
        ClaimFixtures.claim().pool(OTHER).onEmpty(OnEmpty.COLD).at(clock.nanoTime()).ticket();
    RecordingTicket next =
        ClaimFixtures.claim().pool(OTHER).onEmpty(OnEmpty.REJECT).at(clock.nanoTime()).ticket();
    broken.inbox().offerClaim(cold);
    broken.inbox().offerClaim(next);
    executor.runAll();
    assertThat(metrics.errors.get()).isEqualTo(1);
    assertThat(cold.rejected().reason()).isEqualTo(RejectReason.INTERNAL_ERROR);
    assertThat(next.rejected().reason()).isEqualTo(RejectReason.POOL_EMPTY);
  }

  @Test
  void shouldRefuseWaitingClaimsOverTheShardCapButStillServeReadyPools() {
    PoolShard capped =
        new PoolShard(
            2,
            64,
            64,
            executor,
            clock,
            provisioner,
            metrics,
            WarmPoolPolicy.DEFAULTS,
            PoolShard.Options.DEFAULTS.withMaxWaitingPerShard(3));
    ShardProxy p = new ShardProxy(capped);
    p.send(new ShardCommand.DeclarePool(ClaimFixtures.pool(POOL, 0)));
    p.send(new ShardCommand.DeclarePool(ClaimFixtures.pool(OTHER, 1)));
    executor.runAll();
    provisioner.readyAll();
    executor.runAll();
    assertThat(capped.pool(OTHER).readyCount()).isEqualTo(1);

    List<RecordingTicket> waiting = new java.util.ArrayList<>();
    for (int i = 0; i < 3; i++) {
      RecordingTicket t = ClaimFixtures.claim().pool(POOL).at(clock.nanoTime()).ticket();
      assertThat(capped.inbox().offerClaim(t)).isTrue();
      waiting.add(t);
    }
    RecordingTicket refused = ClaimFixtures.claim().pool(POOL).at(clock.nanoTime()).ticket();
    RecordingTicket served = ClaimFixtures.claim().pool(OTHER).at(clock.nanoTime()).ticket();
    capped.inbox().offerClaim(refused);
    capped.inbox().offerClaim(served);
    executor.runAll();

    assertThat(waiting).noneMatch(RecordingTicket::isAnswered);
    assertThat(refused.rejected().reason()).isEqualTo(RejectReason.OVERLOADED);
    assertThat(refused.rejected().message()).contains("shard 2", "3 claims waiting");
    assertThat(refused.rejected().retryAfterMs()).isPositive();
    assertThat(served.outcome()).isInstanceOf(ClaimOutcome.Assigned.class);
    assertThat(capped.pool(POOL).pendingCount()).isEqualTo(3);
  }
}
