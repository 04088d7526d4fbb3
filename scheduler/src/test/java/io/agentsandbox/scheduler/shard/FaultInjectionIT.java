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
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The binding invariant under backend faults: {@value #PRODUCERS} producers x {@value
 * #CLAIMS_PER_PRODUCER} claims (1,000,000) through real shards (each drained by its own single
 * thread, ticked every 5 ms), while the provisioner fails 3 % of starts, starts 5 % slowly, never
 * answers 0.2 % (replaced after the 50 ms readiness grace), and a killer thread makes sandboxes die
 * while ready and while claimed; a releaser thread releases every 8th claim concurrently with its
 * producer. Checked: no sandbox (incarnation) is ever bound to two claims; every claim is answered
 * exactly once; a claim is released at most once; the pool metrics count every start failure, stuck
 * start and death that hit a live member.
 */
class FaultInjectionIT {

  private static final int PRODUCERS = 4;
  private static final int CLAIMS_PER_PRODUCER = 250_000;
  private static final int BATCH = 64;
  private static final int SHARDS = 2;
  private static final List<PoolKey> POOLS =
      List.of(
          new PoolKey("default", "a"),
          new PoolKey("default", "b"),
          new PoolKey("team", "c"),
          new PoolKey("team", "d"));

  /** Faulty backend: every start gets a unique incarnation as its address. */
  private static final class FaultyProvisioner implements SandboxProvisioner {
    final AtomicLong incarnations = new AtomicLong();
    final AtomicLong createFailures = new AtomicLong();
    final AtomicLong slowStarts = new AtomicLong();
    final AtomicLong neverAnswered = new AtomicLong();
    final AtomicLong deaths = new AtomicLong();
    final Map<String, PoolKey> live = new ConcurrentHashMap<>();
    final LinkedBlockingQueue<String> victims = new LinkedBlockingQueue<>();
    final Map<PoolKey, ProvisionListener> listeners = new ConcurrentHashMap<>();
    final ScheduledExecutorService slow;

    FaultyProvisioner(ScheduledExecutorService slow) {
      this.slow = slow;
    }

    @Override
    public void create(
        PoolKey pool, String name, SandboxBlueprint blueprint, ProvisionListener listener) {
      listeners.putIfAbsent(pool, listener);
      int dice = ThreadLocalRandom.current().nextInt(1_000);
      if (dice < 30) {
        createFailures.incrementAndGet();
        listener.onSandboxFailed(pool, name, "injected: create failed");
      } else if (dice < 32) {
        neverAnswered.incrementAndGet(); // the readiness grace replaces it
      } else if (dice < 82) {
        slowStarts.incrementAndGet();
        slow.schedule(
            () -> ready(pool, name, listener),
            1 + ThreadLocalRandom.current().nextInt(3),
            TimeUnit.MILLISECONDS);
      } else {
        ready(pool, name, listener);
      }
    }

    private void ready(PoolKey pool, String name, ProvisionListener listener) {
      live.put(name, pool);
      if (ThreadLocalRandom.current().nextInt(100) < 2) victims.add(name);
      listener.onSandboxReady(pool, name, List.of("incarnation-" + incarnations.incrementAndGet()));
    }

    /**
     * Kills a live sandbox (ready or claimed, whichever it is now); false when it is already gone.
     */
    boolean kill(String name) {
      PoolKey pool = live.remove(name);
      if (pool == null) return false;
      deaths.incrementAndGet();
      listeners.get(pool).onSandboxFailed(pool, name, "injected: died");
      return true;
    }

    @Override
    public void delete(PoolKey pool, String name, ProvisionListener listener) {
      live.remove(name);
      listener.onSandboxDeleted(pool, name);
    }

    @Override
    public String backendName() {
      return "faulty";
    }
  }

  private final List<ExecutorService> loops = new ArrayList<>();
  private ScheduledExecutorService timers;

  @AfterEach
  void tearDown() {
    loops.forEach(ExecutorService::shutdownNow);
    if (timers != null) timers.shutdownNow();
  }

  @Test
  void shouldNeverBindTwiceAndAnswerEveryClaimOnceUnderFaults() throws Exception {
    timers = Executors.newScheduledThreadPool(1, r -> daemon(r, "fault-timers"));
    FaultyProvisioner provisioner = new FaultyProvisioner(timers);
    RecordingMetrics metrics = new RecordingMetrics();
    // Fast retries and a short readiness grace, so faults are replaced quickly.
    WarmPoolPolicy policy =
        new WarmPoolPolicy(
            TimeUnit.MILLISECONDS.toNanos(50),
            512,
            1_000_000,
            100,
            TimeUnit.MICROSECONDS.toNanos(10),
            TimeUnit.MILLISECONDS.toNanos(1),
            WarmPoolPolicy.DEFAULTS.maxAdmittedWaitNs(),
            WarmPoolPolicy.DEFAULTS.maxWaitingPerPool());
    ShardRouter router = new ShardRouter(SHARDS);
    List<ShardProxy> shards = new ArrayList<>();
    for (int k = 0; k < SHARDS; k++) {
      ExecutorService loop = Executors.newSingleThreadExecutor(r -> daemon(r, "fault-shard-loop"));
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
              policy,
              PoolShard.Options.DEFAULTS);
      shards.add(new ShardProxy(shard));
      timers.scheduleAtFixedRate(
          () -> loop.execute(() -> shard.onTick(System.nanoTime())), 5, 5, TimeUnit.MILLISECONDS);
    }
    for (PoolKey pool : POOLS) {
      shards
          .get(router.shardOf(pool))
          .send(new ShardCommand.DeclarePool(ClaimFixtures.pool(pool, 200)));
    }

    Map<String, String> everBound = new ConcurrentHashMap<>();
    Map<String, AtomicInteger> releasedTimes = new ConcurrentHashMap<>();
    Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();
    LinkedBlockingQueue<Object[]> toReleaseConcurrently = new LinkedBlockingQueue<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch producersDone = new CountDownLatch(PRODUCERS);
    long started = System.nanoTime();

    for (int p = 0; p < PRODUCERS; p++) {
      int producer = p;
      daemon(
              () -> {
                try {
                  runProducer(
                      producer,
                      router,
                      shards,
                      everBound,
                      releasedTimes,
                      outcomes,
                      toReleaseConcurrently);
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                } finally {
                  producersDone.countDown();
                }
              },
              "producer-" + p)
          .start();
    }
    // Killer: sandboxes die at a random moment after they became ready (ready or already claimed).
    Thread killer =
        daemon(
            () -> {
              SplittableRandom random = new SplittableRandom(7);
              while (producersDone.getCount() > 0) {
                String victim = pollBounded(provisioner.victims);
                if (victim == null) continue;
                if (random.nextBoolean()) provisioner.kill(victim);
                else provisioner.victims.add(victim); // later: it may be claimed by then
              }
            },
            "killer");
    // Releaser: releases some claims concurrently with their producer's own release.
    Thread releaser =
        daemon(
            () -> {
              while (producersDone.getCount() > 0 || !toReleaseConcurrently.isEmpty()) {
                Object[] item = pollBounded(toReleaseConcurrently);
                if (item == null) continue;
                String claimId = (String) item[0];
                Promise<ShardCommand.ReleaseReply> r = Promise.promise();
                r.future()
                    .onSuccess(
                        reply -> {
                          if (reply == ShardCommand.ReleaseReply.RELEASED)
                            releasedTimes
                                .computeIfAbsent(claimId, k -> new AtomicInteger())
                                .incrementAndGet();
                        });
                ((ShardProxy) item[2])
                    .send(new ShardCommand.ReleaseClaim(claimId, (String) item[1], r));
              }
            },
            "releaser");
    killer.start();
    releaser.start();

    assertThat(producersDone.await(120, TimeUnit.SECONDS))
        .as("producers finished in time")
        .isTrue();
    killer.join(10_000);
    releaser.join(10_000);
    assertThat(failure.get()).as("producer failure").isNull();
    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

    long total = (long) PRODUCERS * CLAIMS_PER_PRODUCER;
    long answered = outcomes.values().stream().mapToLong(AtomicLong::get).sum();
    assertThat(answered).as("every claim answered exactly once").isEqualTo(total);
    assertThat(releasedTimes.values()).as("no claim released twice").allMatch(n -> n.get() <= 1);
    long failedCounted = 0;
    long stuckCounted = 0;
    for (PoolKey pool : POOLS) {
      failedCounted += metrics.pool(pool).failed.get();
      stuckCounted += metrics.pool(pool).stuck.get();
    }
    System.out.printf(
        "faults: %,d claims in %,d ms, outcomes %s, %,d distinct sandboxes bound (0 twice), %,d sandboxes started; injected %,d create failures, "
            + "%,d never answered, %,d slow starts, %,d deaths; metrics: %,d failed (of which %,d stuck); %,d claims released by 2 threads at once%n",
        total,
        elapsedMs,
        outcomes,
        everBound.size(),
        provisioner.incarnations.get(),
        provisioner.createFailures.get(),
        provisioner.neverAnswered.get(),
        provisioner.slowStarts.get(),
        provisioner.deaths.get(),
        failedCounted,
        stuckCounted,
        total / 8);
    // Every injected start failure and stuck start hit a STARTING member: each is counted. A death
    // is counted unless the member was already being deleted (released) when it came.
    assertThat(failedCounted)
        .isGreaterThanOrEqualTo(provisioner.createFailures.get() + stuckCounted);
    // Stuck: every start that never answered (but the last few, still within the grace when the run
    // ends), plus slow starts that overran the grace on a busy machine (their late "ready" is
    // ignored).
    assertThat(stuckCounted).isGreaterThanOrEqualTo(provisioner.neverAnswered.get() * 9 / 10);
    assertThat(failedCounted)
        .isLessThanOrEqualTo(
            provisioner.createFailures.get() + provisioner.deaths.get() + stuckCounted);
    assertThat(provisioner.createFailures.get()).isGreaterThan(1_000);
    assertThat(provisioner.deaths.get()).isGreaterThan(1_000);
    assertThat(metrics.errors.get()).isZero();
  }

  /** The queue's head, waiting at most 1 ms for one (a bounded await, not a sleep). */
  private static <T> T pollBounded(LinkedBlockingQueue<T> queue) {
    try {
      return queue.poll(1, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static void runProducer(
      int producer,
      ShardRouter router,
      List<ShardProxy> shards,
      Map<String, String> everBound,
      Map<String, AtomicInteger> releasedTimes,
      Map<String, AtomicLong> outcomes,
      LinkedBlockingQueue<Object[]> concurrent)
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
                .waitMs(30_000)
                .at(System.nanoTime())
                .ticket();
        while (!shard.submitClaim(batch[i]))
          Thread.onSpinWait(); // test producer only: retry on back-pressure
      }
      List<Promise<ShardCommand.ReleaseReply>> releases = new ArrayList<>(n);
      List<String> ids = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        ClaimOutcome o = batch[i].await(30, TimeUnit.SECONDS);
        if (o == null) throw new AssertionError("claim not answered in 30 s");
        String kind =
            o instanceof ClaimOutcome.Rejected r ? r.reason().name() : o.getClass().getSimpleName();
        outcomes.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
        if (!(o instanceof ClaimOutcome.Assigned a)) continue;
        String incarnation = a.sandbox().addresses().get(0);
        String previous = everBound.putIfAbsent(incarnation, a.claimId());
        if (previous != null)
          throw new AssertionError(incarnation + " bound to " + previous + " and " + a.claimId());
        if ((done + i) % 8 == 0) concurrent.add(new Object[] {a.claimId(), tenant, shard});
        Promise<ShardCommand.ReleaseReply> r = Promise.promise();
        shard.send(new ShardCommand.ReleaseClaim(a.claimId(), tenant, r));
        releases.add(r);
        ids.add(a.claimId());
      }
      for (int i = 0; i < n; i++) {
        if (batch[i].completions() != 1)
          throw new AssertionError("completed " + batch[i].completions() + " times");
      }
      for (int i = 0; i < releases.size(); i++) {
        ShardCommand.ReleaseReply reply =
            releases
                .get(i)
                .future()
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        // NOT_FOUND: the sandbox died while claimed (the claim ended), or the releaser was first.
        if (reply == ShardCommand.ReleaseReply.RELEASED)
          releasedTimes.computeIfAbsent(ids.get(i), k -> new AtomicInteger()).incrementAndGet();
        else if (reply != ShardCommand.ReleaseReply.NOT_FOUND)
          throw new AssertionError("release: " + reply);
      }
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}
