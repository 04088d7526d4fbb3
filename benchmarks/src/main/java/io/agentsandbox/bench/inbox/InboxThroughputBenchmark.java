package io.agentsandbox.bench.inbox;

import io.agentsandbox.bench.BenchmarkBase;
import io.agentsandbox.core.concurrent.MpscInbox;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * N producers → one owner (JCTools' {@code QueueThroughputBackoffNone} shape): each group has
 * producer threads offering a preallocated message and one consumer. Read the {@code @AuxCounters}:
 * {@code offersMade} (messages handed over per second, all producers), {@code offersFailed} (full
 * queue or backlog cap), {@code pollsMade} (messages the owner handled per second) and {@code
 * pollsFailed} (empty polls). The primary "ops/s" of a group mixes both sides; ignore it.
 *
 * <ul>
 *   <li>{@code inbox}: our {@link MpscInbox} (JCTools MPSC + WIP counter); the consumer thread is
 *       its owner and runs the drain task the inbox schedules.
 *   <li>{@code clq}: {@link ConcurrentLinkedQueue} offer / poll (baseline).
 *   <li>{@code runOnContext}: one {@link Context#runOnContext} per message onto a Vert.x event loop
 *       (baseline); {@code contextExecute}: one non-capturing {@code ContextInternal.execute(arg,
 *       handler)} per message. In both the owner is the event loop; the group's consumer thread
 *       only parks and reports the loop's count.
 * </ul>
 *
 * <p>Producers per group: {@code @GroupThreads(1)}; on a bigger box pass {@code -tg 3,1}
 * (producers, consumer). CLQ and the Vert.x task queues are unbounded; producers stop offering (an
 * {@code offersFailed}) while more than {@value #BACKLOG_CAP} messages are unconsumed, as the
 * inbox's bounded claim queue does by itself.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class InboxThroughputBenchmark extends BenchmarkBase {

  static final Object MESSAGE = new Object();
  static final int CAPACITY = 8192;
  static final long BACKLOG_CAP = 1 << 20;

  /**
   * Producers publish their count every this many offers (keeps the shared counter off the path).
   */
  static final int PUBLISH_EVERY = 256;

  // ---------------------------------------------------------------- counters

  @AuxCounters(AuxCounters.Type.OPERATIONS)
  @State(Scope.Thread)
  public static class OfferCounters {
    public long offersFailed;
    public long offersMade;

    @Setup(Level.Iteration)
    public void clean() {
      offersFailed = offersMade = 0;
    }
  }

  @AuxCounters(AuxCounters.Type.OPERATIONS)
  @State(Scope.Thread)
  public static class PollCounters {
    public long pollsFailed;
    public long pollsMade;

    @Setup(Level.Iteration)
    public void clean() {
      pollsFailed = pollsMade = 0;
    }
  }

  // ---------------------------------------------------------------- MpscInbox

  /** The inbox; its executor hands the drain task to the group's consumer thread (the owner). */
  @State(Scope.Group)
  public static class InboxState implements MpscInbox.Handler<Object, Object>, Executor {
    MpscInbox<Object, Object> inbox;
    volatile Runnable pendingDrain;

    /** Owner thread only. */
    long consumed;

    @Setup(Level.Trial)
    public void setUp() {
      inbox = new MpscInbox<>(CAPACITY, 256, this, this);
    }

    @Override
    public void execute(Runnable drainTask) {
      pendingDrain = drainTask;
    }

    @Override
    public void onControl(Object message) {}

    @Override
    public void onClaim(Object message) {
      consumed++;
    }

    @Override
    public void onHandlerFailure(Object message, Throwable failure) {}

    @TearDown(Level.Iteration)
    public void drainLeftovers() {
      // Runs on one of the group's threads after all stopped; the drain is owner-checked by assert
      // only.
      Runnable r;
      while ((r = pendingDrain) != null) {
        pendingDrain = null;
        r.run();
      }
    }
  }

  @Benchmark
  @Group("inbox")
  @GroupThreads(1)
  public void inboxOffer(InboxState s, OfferCounters c) {
    if (s.inbox.offerClaim(MESSAGE)) c.offersMade++;
    else c.offersFailed++;
  }

  @Benchmark
  @Group("inbox")
  @GroupThreads(1)
  public void inboxDrain(InboxState s, PollCounters c) {
    Runnable drain = s.pendingDrain;
    if (drain == null) {
      c.pollsFailed++;
      return;
    }
    s.pendingDrain = null;
    long before = s.consumed;
    drain.run();
    c.pollsMade += s.consumed - before;
  }

  // ---------------------------------------------------------------- ConcurrentLinkedQueue

  @State(Scope.Group)
  public static class ClqState {
    final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
    final AtomicLong produced = new AtomicLong();

    /** Written by the consumer only (ordered store, no full fence). */
    final AtomicLong consumed = new AtomicLong();

    @TearDown(Level.Iteration)
    public void clear() {
      queue.clear();
      produced.set(0);
      consumed.set(0);
    }
  }

  /** Per-producer batch of offers not yet added to the shared count. */
  @State(Scope.Thread)
  public static class ProducerLocal {
    int unpublished;
    boolean throttled;
  }

  @Benchmark
  @Group("clq")
  @GroupThreads(1)
  public void clqOffer(ClqState s, OfferCounters c, ProducerLocal local) {
    if (backlogFull(s.produced, s.consumed.get(), local)) {
      c.offersFailed++;
      return;
    }
    s.queue.offer(MESSAGE);
    c.offersMade++;
  }

  @Benchmark
  @Group("clq")
  @GroupThreads(1)
  public void clqPoll(ClqState s, PollCounters c) {
    if (s.queue.poll() == null) {
      c.pollsFailed++;
    } else {
      c.pollsMade++;
      s.consumed.lazySet(s.consumed.get() + 1);
    }
  }

  /**
   * Publishes this producer's count every {@link #PUBLISH_EVERY} offers and, at those points, says
   * whether the backlog passed {@link #BACKLOG_CAP}.
   */
  static boolean backlogFull(AtomicLong produced, long consumed, ProducerLocal local) {
    if (local.throttled) {
      local.throttled = produced.get() - consumed > BACKLOG_CAP;
      return local.throttled;
    }
    // This offer goes ahead; count it, and every PUBLISH_EVERY offers look at the backlog.
    if (++local.unpublished >= PUBLISH_EVERY) {
      long p = produced.addAndGet(local.unpublished);
      local.unpublished = 0;
      local.throttled = p - consumed > BACKLOG_CAP;
    }
    return false;
  }

  // ---------------------------------------------------------------- Vert.x context per message

  @State(Scope.Group)
  public static class VertxState {
    Vertx vertx;
    ContextInternal context;
    final AtomicLong produced = new AtomicLong();

    /** Written by the event loop only (ordered store, no full fence). */
    final AtomicLong consumed = new AtomicLong();

    final Handler<Void> onLoop = v -> consumed.lazySet(consumed.get() + 1);
    final Handler<Object> onLoopArg = m -> consumed.lazySet(consumed.get() + 1);

    @Setup(Level.Trial)
    public void setUp() {
      vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
      context = ((VertxInternal) vertx).createEventLoopContext();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Benchmark
  @Group("runOnContext")
  @GroupThreads(1)
  public void runOnContextOffer(VertxState s, OfferCounters c, ProducerLocal local) {
    if (backlogFull(s.produced, s.consumed.get(), local)) {
      c.offersFailed++;
      return;
    }
    s.context.runOnContext(s.onLoop);
    c.offersMade++;
  }

  @Benchmark
  @Group("runOnContext")
  @GroupThreads(1)
  public void runOnContextObserve(VertxState s, PollCounters c, ObserverLocal local) {
    observe(s, c, local);
  }

  @Benchmark
  @Group("contextExecute")
  @GroupThreads(1)
  public void contextExecuteOffer(VertxState s, OfferCounters c, ProducerLocal local) {
    if (backlogFull(s.produced, s.consumed.get(), local)) {
      c.offersFailed++;
      return;
    }
    s.context.execute(MESSAGE, s.onLoopArg);
    c.offersMade++;
  }

  @Benchmark
  @Group("contextExecute")
  @GroupThreads(1)
  public void contextExecuteObserve(VertxState s, PollCounters c, ObserverLocal local) {
    observe(s, c, local);
  }

  /** What the observer saw of the loop's count so far. */
  @State(Scope.Thread)
  public static class ObserverLocal {
    long seen = -1;

    @Setup(Level.Iteration)
    public void clean() {
      seen = -1;
    }
  }

  /** The event loop is the owner: park (leave the CPU to it) and report how many it handled. */
  private static void observe(VertxState s, PollCounters c, ObserverLocal local) {
    long now = s.consumed.get();
    if (local.seen >= 0) c.pollsMade += now - local.seen;
    local.seen = now;
    LockSupport.parkNanos(100_000);
  }

  public static void main(String[] args) throws Exception {
    run(InboxThroughputBenchmark.class, args);
  }
}
