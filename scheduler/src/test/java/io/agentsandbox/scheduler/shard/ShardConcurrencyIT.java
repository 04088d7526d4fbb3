package io.agentsandbox.scheduler.shard;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.SandboxBlueprint;
import io.agentsandbox.core.port.NanoClock;
import io.agentsandbox.core.port.ProvisionListener;
import io.agentsandbox.core.port.SandboxProvisioner;
import io.agentsandbox.core.testing.ClaimFixtures;
import io.agentsandbox.core.testing.RecordingMetrics;
import io.agentsandbox.core.testing.RecordingTicket;
import io.agentsandbox.warmpool.WarmPoolPolicy;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * 8 producer threads x 100,000 claims and releases through real shards (each drained by its own
 * single thread): every claim is answered exactly once, and no sandbox is ever bound to two claims.
 */
class ShardConcurrencyIT {

  private static final int PRODUCERS = 8;
  private static final int CLAIMS_PER_PRODUCER = 100_000;
  private static final int BATCH = 64;
  private static final int SHARDS = 2;
  private static final List<PoolKey> POOLS =
      List.of(
          new PoolKey("default", "a"),
          new PoolKey("default", "b"),
          new PoolKey("team", "c"),
          new PoolKey("team", "d"));

  /** Every sandbox it starts gets a unique incarnation number as its address; ready at once. */
  private static final class CountingProvisioner implements SandboxProvisioner {
    final AtomicLong incarnations = new AtomicLong();
    final AtomicLong deletes = new AtomicLong();

    @Override
    public void create(
        PoolKey pool, String name, SandboxBlueprint blueprint, ProvisionListener listener) {
      listener.onSandboxReady(pool, name, List.of("incarnation-" + incarnations.incrementAndGet()));
    }

    @Override
    public void delete(PoolKey pool, String name, ProvisionListener listener) {
      deletes.incrementAndGet();
      listener.onSandboxDeleted(pool, name);
    }

    @Override
    public String backendName() {
      return "counting";
    }
  }

  private final List<ExecutorService> loops = new ArrayList<>();

  @AfterEach
  void tearDown() {
    loops.forEach(ExecutorService::shutdownNow);
  }

  @Test
  void shouldAnswerEveryClaimOnceAndNeverBindASandboxTwice() throws Exception {
    CountingProvisioner provisioner = new CountingProvisioner();
    RecordingMetrics metrics = new RecordingMetrics();
    ShardRouter router = new ShardRouter(SHARDS);
    List<ShardProxy> shards = new ArrayList<>();
    for (int k = 0; k < SHARDS; k++) {
      ExecutorService loop =
          Executors.newSingleThreadExecutor(r -> new Thread(r, "shard-test-loop"));
      loops.add(loop);
      PoolShard shard =
          new PoolShard(
              k,
              1024,
              256,
              loop,
              NanoClock.SYSTEM,
              provisioner,
              metrics,
              WarmPoolPolicy.DEFAULTS,
              PoolShard.Options.DEFAULTS);
      shards.add(new ShardProxy(shard));
    }
    for (PoolKey pool : POOLS) {
      shards
          .get(router.shardOf(pool))
          .send(new ShardCommand.DeclarePool(ClaimFixtures.pool(pool, 200)));
    }

    Map<String, String> everBound = new ConcurrentHashMap<>();
    AtomicLong answered = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(PRODUCERS);
    for (int p = 0; p < PRODUCERS; p++) {
      int producer = p;
      Thread t =
          new Thread(
              () -> {
                try {
                  runProducer(producer, router, shards, everBound, answered);
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                } finally {
                  done.countDown();
                }
              },
              "producer-" + p);
      t.setDaemon(true);
      t.start();
    }
    assertThat(done.await(240, TimeUnit.SECONDS)).as("producers finished in time").isTrue();
    assertThat(failure.get()).as("producer failure").isNull();
    assertThat(answered.get()).isEqualTo((long) PRODUCERS * CLAIMS_PER_PRODUCER);
    assertThat(everBound).hasSize(PRODUCERS * CLAIMS_PER_PRODUCER);
    assertThat(metrics.errors.get()).isZero();
  }

  private static void runProducer(
      int producer,
      ShardRouter router,
      List<ShardProxy> shards,
      Map<String, String> everBound,
      AtomicLong answered)
      throws Exception {
    PoolKey pool = POOLS.get(producer % POOLS.size());
    ShardProxy shard = shards.get(router.shardOf(pool));
    String tenant = "tenant-" + producer;
    RecordingTicket[] batch = new RecordingTicket[BATCH];
    for (int done = 0; done < CLAIMS_PER_PRODUCER; done += BATCH) {
      int n = Math.min(BATCH, CLAIMS_PER_PRODUCER - done);
      for (int i = 0; i < n; i++) {
        batch[i] =
            ClaimFixtures.claim()
                .pool(pool)
                .tenant(tenant)
                .waitMs(60_000)
                .at(System.nanoTime())
                .ticket();
        while (!shard.submitClaim(batch[i]))
          Thread.onSpinWait(); // test producer only: retry on back-pressure
      }
      List<Promise<ShardCommand.ReleaseReply>> releases = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        ClaimOutcome o = batch[i].await(30, TimeUnit.SECONDS);
        if (!(o instanceof ClaimOutcome.Assigned a))
          throw new AssertionError("claim not assigned: " + o);
        String incarnation = a.sandbox().addresses().get(0);
        String previous = everBound.putIfAbsent(incarnation, a.claimId());
        if (previous != null)
          throw new AssertionError(incarnation + " bound to " + previous + " and " + a.claimId());
        Promise<ShardCommand.ReleaseReply> r = Promise.promise();
        shard.send(new ShardCommand.ReleaseClaim(a.claimId(), tenant, r));
        releases.add(r);
      }
      for (int i = 0; i < n; i++) {
        if (batch[i].completions() != 1)
          throw new AssertionError("completed " + batch[i].completions() + " times");
        answered.incrementAndGet();
        ShardCommand.ReleaseReply reply =
            releases
                .get(i)
                .future()
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        if (reply != ShardCommand.ReleaseReply.RELEASED)
          throw new AssertionError("release: " + reply);
      }
    }
  }
}
