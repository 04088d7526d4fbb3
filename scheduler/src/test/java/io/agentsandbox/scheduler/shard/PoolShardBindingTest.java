package io.agentsandbox.scheduler.shard;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.BindingRecord;
import io.agentsandbox.core.model.LaunchType;
import io.agentsandbox.core.model.OnEmpty;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RecoveredSandbox;
import io.agentsandbox.core.model.RejectReason;
import io.agentsandbox.core.port.BindingStore;
import io.agentsandbox.core.testing.ClaimFixtures;
import io.agentsandbox.core.testing.FakeProvisioner;
import io.agentsandbox.core.testing.ManualClock;
import io.agentsandbox.core.testing.ManualExecutor;
import io.agentsandbox.core.testing.RecordingMetrics;
import io.agentsandbox.core.testing.RecordingTicket;
import io.agentsandbox.warmpool.WarmPoolPolicy;
import io.vertx.core.Promise;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Persist-before-reply and restart recovery in one shard, draining its inbox on the test thread.
 * The binding store answers when the test says so.
 */
class PoolShardBindingTest {

  private static final PoolKey POOL = ClaimFixtures.POOL;
  private static final PoolKey OTHER = new PoolKey("default", "other");

  /** Records persists; the test answers them. Any thread (here: the test thread only). */
  static final class ManualStore implements BindingStore {
    final List<BindingRecord> persisted = new ArrayList<>();
    final List<Consumer<Throwable>> answers = new ArrayList<>();
    final List<String> removed = new ArrayList<>();

    @Override
    public void persist(BindingRecord binding, Consumer<Throwable> done) {
      persisted.add(binding);
      answers.add(done);
    }

    @Override
    public void remove(String claimId) {
      removed.add(claimId);
    }
  }

  private final ManualExecutor executor = new ManualExecutor();
  private final ManualClock clock = new ManualClock();
  private final FakeProvisioner provisioner = new FakeProvisioner(false);
  private final RecordingMetrics metrics = new RecordingMetrics();
  private final ManualStore store = new ManualStore();
  private PoolShard shard;
  private ShardProxy proxy;

  @BeforeEach
  void setUp() {
    shard =
        new PoolShard(
            0,
            16,
            8,
            executor,
            clock,
            provisioner,
            metrics,
            WarmPoolPolicy.DEFAULTS,
            PoolShard.Options.DEFAULTS.withBindingStore(store));
    proxy = new ShardProxy(shard);
    proxy.send(new ShardCommand.DeclarePool(ClaimFixtures.pool(POOL, 2)));
    executor.runAll();
    provisioner.readyAll();
    executor.runAll();
  }

  private RecordingTicket submit(ClaimFixtures.Builder b) {
    RecordingTicket t = b.at(clock.nanoTime()).ticket();
    assertThat(shard.inbox().offerClaim(t)).isTrue();
    executor.runAll();
    return t;
  }

  private ShardCommand.ReadReply read(String claimId, String tenant) {
    Promise<ShardCommand.ReadReply> p = Promise.promise();
    proxy.send(new ShardCommand.ReadClaim(claimId, tenant, p));
    executor.runAll();
    return p.future().result();
  }

  private ShardCommand.ReleaseReply release(String claimId) {
    Promise<ShardCommand.ReleaseReply> p = Promise.promise();
    proxy.send(new ShardCommand.ReleaseClaim(claimId, "t", p));
    executor.runAll();
    return p.future().result();
  }

  @Test
  void shouldAcknowledgeClaimOnlyOnceItsBindingIsDurable() {
    RecordingTicket t = submit(ClaimFixtures.claim().tenant("t").priority(5).ttlMs(60_000));
    assertThat(t.isAnswered()).as("no 201 before the binding is durable").isFalse();
    assertThat(store.persisted).hasSize(1);
    BindingRecord b = store.persisted.get(0);
    assertThat(b.claimId()).isEqualTo(t.request().claimId());
    assertThat(b.pool()).isEqualTo(POOL);
    assertThat(b.tenant()).isEqualTo("t");
    assertThat(b.priority()).isEqualTo(5);
    assertThat(b.launchType()).isEqualTo(LaunchType.WARM);
    assertThat(b.ttlMs()).isEqualTo(60_000);
    assertThat(b.expiresAtEpochMs())
        .isBetween(System.currentTimeMillis() + 50_000, System.currentTimeMillis() + 61_000);

    store.answers.get(0).accept(null);
    assertThat(t.isAnswered()).as("completed on the shard loop, not the store's thread").isFalse();
    executor.runAll();
    assertThat(t.assigned().sandbox().name()).isEqualTo(b.sandboxName());
    assertThat(t.completions()).isEqualTo(1);

    assertThat(release(t.request().claimId())).isEqualTo(ShardCommand.ReleaseReply.RELEASED);
    assertThat(store.removed).containsExactly(t.request().claimId());
  }

  @Test
  void shouldReleaseClaimAndAnswer503WhenBindingCannotBeMadeDurable() {
    RecordingTicket t = submit(ClaimFixtures.claim());
    String sandbox = store.persisted.get(0).sandboxName();
    store.answers.get(0).accept(new IOException("disk full"));
    executor.runAll();
    assertThat(t.rejected().reason()).isEqualTo(RejectReason.BINDING_NOT_DURABLE);
    assertThat(t.rejected().reason().httpStatus()).isEqualTo(503);
    assertThat(t.rejected().message()).contains("disk full");
    assertThat(provisioner.deleted()).contains(sandbox);
    assertThat(read(t.request().claimId(), "t").status())
        .isEqualTo(ShardCommand.ReadReply.Status.NOT_FOUND);
    assertThat(store.removed).contains(t.request().claimId());
  }

  @Test
  void shouldRejectClaimReleasedBeforeItsBindingWasDurable() {
    RecordingTicket t = submit(ClaimFixtures.claim());
    assertThat(release(t.request().claimId())).isEqualTo(ShardCommand.ReleaseReply.RELEASED);
    store.answers.get(0).accept(null);
    executor.runAll();
    assertThat(t.rejected().reason()).isEqualTo(RejectReason.PROVISION_FAILED);
    assertThat(t.completions()).isEqualTo(1);
    assertThat(store.removed).contains(t.request().claimId());
  }

  @Test
  void shouldCompleteAtOnceOnShardThreadWithNoopStore() {
    PoolShard plain =
        new PoolShard(
            1,
            16,
            8,
            executor,
            clock,
            provisioner,
            metrics,
            WarmPoolPolicy.DEFAULTS,
            PoolShard.Options.DEFAULTS);
    plain.inbox().offerControl(new ShardCommand.DeclarePool(ClaimFixtures.pool(OTHER, 1)));
    executor.runAll();
    provisioner.readyAll();
    executor.runAll();
    RecordingTicket t = ClaimFixtures.claim().pool(OTHER).at(clock.nanoTime()).ticket();
    plain.inbox().offerClaim(t);
    executor.runAll();
    assertThat(t.assigned()).isNotNull();
  }

  @Test
  void shouldAdoptRecoveredSandboxesWhenPoolIsDeclared() {
    String claimId = "cl-0-aaaaaaaaaaaaaaaaaaaa";
    BindingRecord binding =
        new BindingRecord(
            claimId,
            OTHER,
            "other-bbbbb",
            "alice",
            0,
            OnEmpty.WAIT,
            LaunchType.WARM,
            600_000,
            System.currentTimeMillis() + 300_000);
    int before = provisioner.waiting().size();
    proxy.send(
        new ShardCommand.DeclarePool(
            ClaimFixtures.pool(OTHER, 2),
            List.of(
                new RecoveredSandbox("other-ccccc", List.of(), null),
                new RecoveredSandbox("other-bbbbb", List.of(), binding))));
    executor.runAll();
    assertThat(provisioner.waiting().size() - before)
        .as("one adopted ready member of 2 replicas: one create")
        .isEqualTo(1);
    assertThat(shard.pool(OTHER).readyCount()).isEqualTo(1);
    assertThat(shard.pool(OTHER).claimedCount()).isEqualTo(1);

    ShardCommand.ReadReply r = read(claimId, "alice");
    assertThat(r.status()).isEqualTo(ShardCommand.ReadReply.Status.FOUND);
    assertThat(r.view().assignment().sandbox().name()).isEqualTo("other-bbbbb");
    assertThat(read(claimId, "bob").status()).isEqualTo(ShardCommand.ReadReply.Status.FORBIDDEN);
    assertThat(store.persisted).as("a restored binding is already durable").isEmpty();

    Promise<ShardCommand.ReleaseReply> p = Promise.promise();
    proxy.send(new ShardCommand.ReleaseClaim(claimId, "alice", p));
    executor.runAll();
    assertThat(p.future().result()).isEqualTo(ShardCommand.ReleaseReply.RELEASED);
    assertThat(provisioner.deleted()).contains("other-bbbbb");
    assertThat(store.removed).containsExactly(claimId);
  }

  @Test
  void shouldKeepBoundSandboxesOfPoolNoLongerDeclaredUntilReleased() {
    String claimId = "cl-0-bbbbbbbbbbbbbbbbbbbb";
    BindingRecord binding =
        new BindingRecord(
            claimId, OTHER, "other-ddddd", "t", 0, OnEmpty.WAIT, LaunchType.COLD, 0, 0);
    int before = provisioner.waiting().size();
    proxy.send(
        new ShardCommand.AdoptRemovedPool(
            ClaimFixtures.pool(OTHER, 0),
            List.of(new RecoveredSandbox("other-ddddd", List.of(), binding))));
    executor.runAll();
    assertThat(provisioner.waiting()).hasSize(before);
    assertThat(read(claimId, "t").status()).isEqualTo(ShardCommand.ReadReply.Status.FOUND);
    RecordingTicket refused = submit(ClaimFixtures.claim().pool(OTHER));
    assertThat(refused.rejected().reason()).isEqualTo(RejectReason.UNKNOWN_POOL);

    assertThat(release(claimId)).isEqualTo(ShardCommand.ReleaseReply.RELEASED);
    assertThat(provisioner.deleted()).contains("other-ddddd");
    executor.runAll();
    assertThat(shard.pool(OTHER).isDrained()).isTrue();
  }
}
