package io.agentsandbox.core.concurrent;

import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.jctools.queues.MessagePassingQueue;
import org.jctools.queues.MpscArrayQueue;
import org.jctools.queues.MpscUnboundedXaddArrayQueue;

/**
 * Many-producer, one-consumer inbox drained on its owner's executor. Producers: any thread.
 * Consumer: the owner only (the thread the executor runs tasks on).
 *
 * <p>Two queues: a bounded claim queue ({@link MpscArrayQueue}; a full queue is back-pressure, the
 * caller answers {@code 503}) and an unbounded control queue ({@link MpscUnboundedXaddArrayQueue})
 * for facts and requests that must not be dropped (backend results, pool changes, releases).
 *
 * <p>One work-in-progress counter counts offered-but-unconsumed messages. The producer whose
 * increment takes it from 0 schedules the preallocated drain task on the executor, so a burst costs
 * one task, not one per message. A drain turn handles every control message, then at most {@code
 * drainLimit} claims, subtracts what it consumed and reschedules itself if anything is left,
 * yielding the event loop between turns.
 *
 * <p>NOTE: a producer increments after its offer completes, so a positive counter always means
 * visible messages. A drain may consume a message before its producer's increment lands and leave
 * the counter briefly negative; that is benign: the late increment brings it back towards 0, and
 * whichever increment next moves it from 0 to 1 schedules a drain for the messages behind it.
 *
 * @param <C> control messages
 * @param <M> claim messages
 */
public final class MpscInbox<C, M> {

  /**
   * Handles messages on the owner thread.
   *
   * <p>WARNING: JCTools assumes a drain consumer never throws. The inbox catches per message and
   * reports to {@link #onHandlerFailure}; implementations should not rely on that.
   */
  public interface Handler<C, M> {
    /** A control message, in offer order per producer. */
    void onControl(C message);

    /** A claim message, in offer order per producer. */
    void onClaim(M message);

    /** Called after each drain turn, for work that batches per turn (publishing stats). */
    default void onDrainTurnEnd() {}

    /**
     * A handler threw while handling {@code message}. Must not throw. An {@link Error} is rethrown
     * after this returns.
     */
    void onHandlerFailure(Object message, Throwable failure);
  }

  private final MpscArrayQueue<M> claimQueue;
  private final MpscUnboundedXaddArrayQueue<C> controlQueue;
  private final AtomicInteger wip = new AtomicInteger();
  private final Executor owner;
  private final int drainLimit;
  private final Handler<C, M> handler;
  private final Runnable drainTask = this::drain;
  private final OwnerCheck ownerCheck = new OwnerCheck();
  private final MessagePassingQueue.Consumer<C> controlConsumer = this::handleControl;

  /**
   * @param claimCapacity bound of the claim queue, rounded up to a power of two (at least 2)
   * @param drainLimit most claims handled per drain turn
   * @param owner runs the drain task on the owner thread; must run tasks one at a time
   * @param handler consumes messages on the owner thread
   */
  public MpscInbox(int claimCapacity, int drainLimit, Executor owner, Handler<C, M> handler) {
    if (claimCapacity < 1)
      throw new IllegalArgumentException("claimCapacity must be > 0: " + claimCapacity);
    if (drainLimit < 1) throw new IllegalArgumentException("drainLimit must be > 0: " + drainLimit);
    this.claimQueue = new MpscArrayQueue<>(Math.max(2, claimCapacity));
    this.controlQueue = new MpscUnboundedXaddArrayQueue<>(1024);
    this.drainLimit = drainLimit;
    this.owner = Objects.requireNonNull(owner, "owner");
    this.handler = Objects.requireNonNull(handler, "handler");
  }

  /**
   * Offers a claim. Any thread.
   *
   * @return false when the claim queue is full: apply back-pressure, do not retry in a loop
   */
  public boolean offerClaim(M claim) {
    if (!claimQueue.offer(claim)) return false;
    wakeUp();
    return true;
  }

  /** Offers a control message; never refused. Any thread. */
  public void offerControl(C message) {
    controlQueue.offer(message);
    wakeUp();
  }

  private void wakeUp() {
    if (wip.getAndIncrement() == 0) owner.execute(drainTask);
  }

  /** Runs one drain turn. Owner thread only; normally run by the executor, callable from tests. */
  public void drain() {
    // NOTE: binds the owner outside the assert, so same-thread shortcuts see it with -da too.
    boolean onOwner = ownerCheck.enter();
    assert onOwner : "drain off the owner thread";
    int consumed = controlQueue.drain(controlConsumer);
    int claims = 0;
    M claim;
    while (claims < drainLimit && (claim = claimQueue.relaxedPoll()) != null) {
      claims++;
      handleClaim(claim);
    }
    consumed += claims;
    try {
      handler.onDrainTurnEnd();
    } catch (RuntimeException e) {
      handler.onHandlerFailure(null, e);
    }
    // NOTE: > 0 means messages whose producers have finished offering are still queued (or a
    // producer is mid-offer and its message is not yet visible): run another turn later rather
    // than spin here. <= 0 means every counted message was consumed.
    if (wip.addAndGet(-consumed) > 0) owner.execute(drainTask);
  }

  private void handleControl(C message) {
    try {
      handler.onControl(message);
    } catch (RuntimeException e) {
      handler.onHandlerFailure(message, e);
    } catch (Error e) {
      handler.onHandlerFailure(message, e);
      throw e;
    }
  }

  private void handleClaim(M message) {
    try {
      handler.onClaim(message);
    } catch (RuntimeException e) {
      handler.onHandlerFailure(message, e);
    } catch (Error e) {
      handler.onHandlerFailure(message, e);
      throw e;
    }
  }

  /**
   * The owner of this inbox: bound by the first {@link #drain}. Owner-only entry points outside the
   * drain (a timer) call {@link OwnerCheck#enter} on it too.
   */
  public OwnerCheck ownerCheck() {
    return ownerCheck;
  }

  /** Claims queued now (approximate). Any thread. */
  public int claimDepth() {
    return claimQueue.size();
  }

  /** Control messages queued now (approximate). Any thread. */
  public int controlDepth() {
    return controlQueue.size();
  }

  /** Capacity of the claim queue after rounding. */
  public int claimCapacity() {
    return claimQueue.capacity();
  }
}
