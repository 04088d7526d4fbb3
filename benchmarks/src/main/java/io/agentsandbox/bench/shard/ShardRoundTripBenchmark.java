package io.agentsandbox.bench.shard;

import io.agentsandbox.bench.BenchmarkBase;
import io.agentsandbox.bench.Fixtures;
import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.ClaimRequest;
import io.agentsandbox.core.model.ClaimTicket;
import io.agentsandbox.core.port.NanoClock;
import io.agentsandbox.core.port.SchedulerMetrics;
import io.agentsandbox.scheduler.backend.SimulatedProvisioner;
import io.agentsandbox.scheduler.shard.PoolShard;
import io.agentsandbox.scheduler.shard.PoolSnapshot;
import io.agentsandbox.scheduler.shard.ShardCommand;
import io.agentsandbox.scheduler.shard.ShardProxy;
import io.agentsandbox.warmpool.WarmPoolPolicy;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One claim through a real shard, as the HTTP edge sends it: a thread builds a ticket, submits it
 * through {@link ShardProxy} (MPSC inbox, WIP wake-up of the shard's Vert.x event-loop context,
 * drain, {@code WarmPool.tryAssign}), and spins until the shard's completion is visible; then it
 * sends the release (fire and forget, through the control queue, handled before later claims).
 * {@code Mode.SampleTime}: read p50/p99/p99.9. Threads: {@code -t 1} (default) or {@code -t 2}.
 *
 * <p>The shard is built exactly as {@code SchedulerServer} builds it (same executor, {@link
 * SimulatedProvisioner} with 0 ms start latency, so every released sandbox is replaced at once);
 * metrics are off and the periodic tick is not started. The reply hop here is a volatile write the
 * submitter spins on, not a hop to an HTTP event loop.
 *
 * <p>Baseline: {@link #emptyHop}, the same thread → event loop → thread round trip carrying nothing
 * (one {@code runOnContext} whose task sets the reply): the floor any shard round trip pays.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class ShardRoundTripBenchmark extends BenchmarkBase {

  @Param({"1024"})
  public int poolSize;

  private Vertx vertx;
  private ContextInternal shardContext;
  private ShardProxy proxy;
  private final AtomicInteger threadIds = new AtomicInteger();

  /** A ticket whose completion the submitter observes by spinning. */
  static final class SpinTicket extends ClaimTicket {
    volatile ClaimOutcome outcome;

    SpinTicket(ClaimRequest request) {
      super(request);
    }

    @Override
    protected void onComplete(ClaimOutcome o) {
      outcome = o;
    }
  }

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    vertx = Vertx.vertx();
    shardContext = ((VertxInternal) vertx).createEventLoopContext();
    ContextInternal ctx = shardContext;
    // Exactly SchedulerServer's executor for a shard.
    Executor onShardLoop = task -> ctx.runOnContext(v -> task.run());
    WarmPoolPolicy policy =
        WarmPoolPolicy.DEFAULTS
            .withMaxStarting(Math.max(512, poolSize))
            .withMaxClaimsPerTenant(1 << 20);
    PoolShard shard =
        new PoolShard(
            0,
            8192,
            256,
            onShardLoop,
            NanoClock.SYSTEM,
            new SimulatedProvisioner(vertx, rc -> 0, 0),
            SchedulerMetrics.NOOP,
            policy,
            PoolShard.Options.DEFAULTS);
    proxy = new ShardProxy(shard);
    proxy.send(new ShardCommand.DeclarePool(Fixtures.pool(Fixtures.POOL, poolSize)));
    awaitReady(poolSize);
  }

  private void awaitReady(int ready) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      Promise<List<PoolSnapshot>> p = Promise.promise();
      proxy.send(new ShardCommand.ReadPools(p));
      List<PoolSnapshot> pools =
          p.future().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      if (!pools.isEmpty() && pools.get(0).ready() >= ready) return;
      if (System.nanoTime() - deadline > 0)
        throw new IllegalStateException("pool not ready: " + pools);
      java.util.concurrent.locks.LockSupport.parkNanos(
          1_000_000); // setup only, outside any measurement
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Each thread's claims: a ring of distinct ids (a released id comes round again much later). */
  @State(Scope.Thread)
  public static class Claims {
    final ClaimRequest[] ring = new ClaimRequest[1024];
    int next;

    @Setup(Level.Trial)
    public void setUp(ShardRoundTripBenchmark b) {
      int t = b.threadIds.getAndIncrement();
      for (int i = 0; i < ring.length; i++) {
        ring[i] = Fixtures.claim("cl-" + t + "-" + i, Fixtures.POOL, 0);
      }
    }

    ClaimRequest next() {
      ClaimRequest r = ring[next];
      next = (next + 1) & (ring.length - 1);
      return r;
    }
  }

  /** Submit a claim, spin until the shard's outcome is visible, send the release. */
  @Benchmark
  public ClaimOutcome claimRoundTrip(Claims claims) {
    ClaimRequest r = claims.next();
    SpinTicket ticket = new SpinTicket(r);
    if (!proxy.submitClaim(ticket)) throw new IllegalStateException("shard queue full");
    ClaimOutcome o;
    while ((o = ticket.outcome) == null) Thread.onSpinWait();
    if (!(o instanceof ClaimOutcome.Assigned))
      throw new IllegalStateException("not assigned: " + o);
    proxy.send(new ShardCommand.ReleaseClaim(r.claimId(), r.tenant(), Promise.promise()));
    return o;
  }

  /** BASELINE: the bare thread → shard event loop → thread hop, nothing in it. */
  @Benchmark
  public Object emptyHop(Hop hop) {
    hop.reply = null;
    shardContext.runOnContext(hop);
    Object o;
    while ((o = hop.reply) == null) Thread.onSpinWait();
    return o;
  }

  /** The baseline's per-thread reply slot and handler. */
  @State(Scope.Thread)
  public static class Hop implements io.vertx.core.Handler<Void> {
    volatile Object reply;

    @Override
    public void handle(Void v) {
      reply = Boolean.TRUE;
    }
  }

  public static void main(String[] args) throws Exception {
    run(ShardRoundTripBenchmark.class, args);
  }
}
