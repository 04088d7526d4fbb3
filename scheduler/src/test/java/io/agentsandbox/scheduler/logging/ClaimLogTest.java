package io.agentsandbox.scheduler.logging;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.logging.LogBudget;
import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.OnEmpty;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.testing.ClaimFixtures;
import io.agentsandbox.core.testing.FakeProvisioner;
import io.agentsandbox.core.testing.ManualClock;
import io.agentsandbox.core.testing.ManualExecutor;
import io.agentsandbox.core.testing.RecordingMetrics;
import io.agentsandbox.core.testing.RecordingTicket;
import io.agentsandbox.scheduler.shard.PoolShard;
import io.agentsandbox.scheduler.shard.ShardCommand;
import io.agentsandbox.scheduler.shard.ShardProxy;
import io.agentsandbox.warmpool.WarmPoolPolicy;
import io.vertx.core.Promise;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The claim decision lines and the sandbox lifecycle lines, with their fields, from one shard
 * driven on the test thread with a manual clock.
 */
class ClaimLogTest {

  private static final PoolKey POOL = ClaimFixtures.POOL;
  private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

  private final ManualExecutor executor = new ManualExecutor();
  private final ManualClock clock = new ManualClock();
  private final FakeProvisioner provisioner = new FakeProvisioner(false);
  private PoolShard shard;
  private ShardProxy proxy;
  private LogCapture claims;
  private LogCapture sandboxes;

  @BeforeEach
  void setUp() {
    LogBudget.limitAll(0);
    claims = new LogCapture(ClaimLog.LOGGER);
    sandboxes = new LogCapture(SandboxLog.LOGGER);
    shard =
        new PoolShard(
            3,
            64,
            16,
            executor,
            clock,
            provisioner,
            new RecordingMetrics(),
            WarmPoolPolicy.DEFAULTS,
            PoolShard.Options.DEFAULTS);
    proxy = new ShardProxy(shard);
    proxy.send(new ShardCommand.DeclarePool(ClaimFixtures.pool(POOL, 1)));
    executor.runAll();
  }

  @AfterEach
  void tearDown() {
    claims.close();
    sandboxes.close();
    LogBudget.limitAll(LogBudget.DEFAULT_LIMIT_PER_SECOND);
  }

  private RecordingTicket submit(ClaimFixtures.Builder b, String traceId) {
    RecordingTicket t = new RecordingTicket(b.at(clock.nanoTime()).build(), traceId);
    assertThat(shard.inbox().offerClaim(t)).isTrue();
    return t;
  }

  private void release(String claimId, String tenant) {
    Promise<ShardCommand.ReleaseReply> reply = Promise.promise();
    proxy.send(new ShardCommand.ReleaseClaim(claimId, tenant, reply));
    executor.runAll();
    assertThat(reply.future().result()).isEqualTo(ShardCommand.ReleaseReply.RELEASED);
  }

  @Test
  void shouldLogABoundClaimWithItsFieldsThenItsRelease() {
    provisioner.readyAll();
    executor.runAll();
    RecordingTicket t = submit(ClaimFixtures.claim().id("c-warm").tenant("team-a"), TRACE);
    clock.advanceMs(2);
    executor.runAll();
    ClaimOutcome.Assigned a = t.assigned();

    List<LogCapture.Line> bound = claims.where("claim_id", "c-warm");
    assertThat(bound).hasSize(1);
    LogCapture.Line line = bound.get(0);
    assertThat(line.message()).isEqualTo("claim bound");
    assertThat(line.fields())
        .containsEntry("tenant", "team-a")
        .containsEntry("pool", POOL.toString())
        .containsEntry("outcome", "bound")
        .containsEntry("launch_type", "warm")
        .containsEntry("sandbox", a.sandbox().name())
        .containsEntry("waited_ms", 2.0)
        .containsEntry("durable_ms", 2.0)
        .containsEntry("shard", 3)
        .containsEntry("replica", Lines.REPLICA)
        .containsEntry("trace_id", TRACE);

    clock.advanceMs(500);
    release("c-warm", "team-a");
    LogCapture.Line released = claims.where("claim_id", "c-warm").get(1);
    assertThat(released.message()).isEqualTo("claim released");
    assertThat(released.fields())
        .containsEntry("outcome", "released")
        .containsEntry("sandbox", a.sandbox().name())
        .containsEntry("held_ms", 500.0)
        .containsEntry("tenant", "team-a");

    assertThat(sandboxes.where("sandbox", a.sandbox().name()))
        .extracting(l -> l.get("event"))
        .containsExactly("created", "ready", "deleted");
  }

  @Test
  void shouldLogAWaitThenTheBindingOfAColdClaim() {
    RecordingTicket t =
        submit(ClaimFixtures.claim().id("c-cold").onEmpty(OnEmpty.COLD).waitMs(5_000), null);
    executor.runAll(); // nothing ready yet: the pool's member is still starting
    clock.advanceMs(40);
    provisioner.readyAll();
    executor.runAll();
    assertThat(t.assigned()).isNotNull();

    List<LogCapture.Line> lines = claims.where("claim_id", "c-cold");
    assertThat(lines).extracting(l -> l.get("outcome")).containsExactly("waiting", "bound");
    assertThat(lines.get(0).fields()).containsEntry("wait_limit_ms", 5_000.0);
    assertThat(lines.get(1).fields()).doesNotContainKey("trace_id");
  }

  @Test
  void shouldLogRejectionsWithTheirReason() {
    submit(ClaimFixtures.claim().id("c-unknown").pool(new PoolKey("default", "nope")), TRACE);
    submit(ClaimFixtures.claim().id("c-empty").onEmpty(OnEmpty.REJECT), null);
    executor.runAll();

    assertThat(claims.where("claim_id", "c-unknown").get(0).fields())
        .containsEntry("outcome", "rejected")
        .containsEntry("reason", "unknown_pool")
        .containsEntry("trace_id", TRACE)
        .containsEntry("detail", "no warm pool default/nope");
    assertThat(claims.where("claim_id", "c-empty").get(0).fields())
        .containsEntry("outcome", "rejected")
        .containsEntry("reason", "pool_empty");
  }

  @Test
  void shouldLogADeadlineAndATtlExpiry() {
    RecordingTicket waiting = submit(ClaimFixtures.claim().id("c-late").waitMs(100), null);
    executor.runAll();
    clock.advanceMs(150);
    shard.onTick(clock.nanoTime());
    assertThat(waiting.rejected()).isNotNull();
    assertThat(claims.where("claim_id", "c-late"))
        .extracting(l -> l.get("outcome") + "/" + l.get("reason"))
        .containsExactly("waiting/null", "rejected/deadline_exceeded");

    provisioner.readyAll();
    executor.runAll();
    RecordingTicket held = submit(ClaimFixtures.claim().id("c-ttl").ttlMs(1_000), null);
    executor.runAll();
    assertThat(held.assigned()).isNotNull();
    clock.advanceMs(1_001);
    shard.onTick(clock.nanoTime());
    assertThat(claims.where("claim_id", "c-ttl"))
        .extracting(l -> l.get("outcome"))
        .containsExactly("bound", "expired");
  }

  @Test
  void shouldLogAStuckSandboxAsFailedWithWhy() {
    String stuck = provisioner.waiting().get(0).name();
    clock.advance(
        WarmPoolPolicy.DEFAULTS.readinessGraceNs() + 1_000_000_000L, TimeUnit.NANOSECONDS);
    shard.onTick(clock.nanoTime());
    LogCapture.Line failed = sandboxes.where("sandbox", stuck).get(1);
    assertThat(failed.message()).isEqualTo("sandbox failed");
    assertThat(failed.fields())
        .containsEntry("event", "failed")
        .containsEntry("pool", POOL.toString())
        .containsEntry("shard", 3);
    assertThat((String) failed.get("reason")).contains("readiness grace", "replaced");
  }
}
