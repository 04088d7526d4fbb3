package io.agentsandbox.core.concurrent;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Stress soak of the inbox's work-in-progress hand-off: 4 producers offer 800,000 messages into
 * both queues of one inbox drained on one owner thread; every message is consumed exactly once, in
 * offer order per producer, on one thread at a time, and none is stranded (a lost wake-up would
 * leave the last messages unconsumed and time the await out). It stands in for a jcstress test:
 * Maven Central as reachable here does not serve {@code jcstress-core} 0.16 complete (its {@code
 * jcstress-result-gen} dependency is missing).
 */
class MpscInboxConcurrencyIT {

  private static final int PRODUCERS = 4;
  private static final int MESSAGES_PER_PRODUCER = 200_000;

  /** Every CONTROL_EVERY-th message of a producer goes to the control queue. */
  private static final int CONTROL_EVERY = 8;

  private record Msg(int producer, int seq) {}

  /** Runs on the inbox's owner thread only; its plain fields are read after the latch. */
  private static final class CheckingHandler implements MpscInbox.Handler<Msg, Msg> {
    final AtomicInteger inside = new AtomicInteger();
    final AtomicInteger maxInside = new AtomicInteger();
    final AtomicLong consumed = new AtomicLong();
    final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
    final int[] lastClaimSeq = new int[PRODUCERS];
    final int[] lastControlSeq = new int[PRODUCERS];
    final CountDownLatch allConsumed;
    final long expected;

    CheckingHandler(long expected) {
      this.expected = expected;
      this.allConsumed = new CountDownLatch(1);
      java.util.Arrays.fill(lastClaimSeq, -1);
      java.util.Arrays.fill(lastControlSeq, -1);
    }

    @Override
    public void onControl(Msg m) {
      handle(m, lastControlSeq, "control");
    }

    @Override
    public void onClaim(Msg m) {
      handle(m, lastClaimSeq, "claim");
    }

    private void handle(Msg m, int[] last, String kind) {
      int now = inside.incrementAndGet();
      if (now > 1) violations.add("handler ran on two threads at once");
      maxInside.accumulateAndGet(now, Math::max);
      try {
        if (m.seq() <= last[m.producer()]) {
          violations.add(
              kind
                  + " of producer "
                  + m.producer()
                  + ": seq "
                  + m.seq()
                  + " after "
                  + last[m.producer()]);
        }
        last[m.producer()] = m.seq();
        long n = consumed.incrementAndGet();
        if (n == expected) allConsumed.countDown();
        if (n > expected) violations.add("consumed more than offered: " + n);
      } finally {
        inside.decrementAndGet();
      }
    }

    @Override
    public void onHandlerFailure(Object message, Throwable failure) {
      violations.add("handler failure on " + message + ": " + failure);
    }
  }

  @Test
  void shouldConsumeEveryMessageExactlyOnceOnOneThreadAtATimeWhenManyProducersOffer()
      throws Exception {
    long expected = (long) PRODUCERS * MESSAGES_PER_PRODUCER;
    CheckingHandler handler = new CheckingHandler(expected);
    ExecutorService owner = Executors.newSingleThreadExecutor(r -> new Thread(r, "inbox-owner"));
    List<Thread> producers = new ArrayList<>();
    try {
      MpscInbox<Msg, Msg> inbox = new MpscInbox<>(16, 64, owner, handler);
      CountDownLatch start = new CountDownLatch(1);
      for (int p = 0; p < PRODUCERS; p++) {
        int producer = p;
        Thread t =
            new Thread(
                () -> {
                  try {
                    if (!start.await(10, SECONDS)) return;
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                  }
                  for (int seq = 0; seq < MESSAGES_PER_PRODUCER; seq++) {
                    Msg m = new Msg(producer, seq);
                    if (seq % CONTROL_EVERY == 0) {
                      inbox.offerControl(m);
                    } else {
                      while (!inbox.offerClaim(m)) Thread.onSpinWait();
                    }
                  }
                },
                "producer-" + p);
        t.setDaemon(true);
        producers.add(t);
        t.start();
      }
      start.countDown();

      boolean done = handler.allConsumed.await(60, SECONDS);

      for (Thread t : producers) t.join(SECONDS.toMillis(10));
      assertThat(done)
          .as("all %d messages consumed within 60 s (got %d)", expected, handler.consumed.get())
          .isTrue();
      assertThat(handler.violations).isEmpty();
      assertThat(handler.maxInside.get()).isEqualTo(1);
      // Let any turn already scheduled finish, then check nothing was consumed twice.
      owner.shutdown();
      assertThat(owner.awaitTermination(10, SECONDS)).isTrue();
      assertThat(handler.consumed.get()).isEqualTo(expected);
      assertThat(inbox.claimDepth()).isZero();
      assertThat(inbox.controlDepth()).isZero();
      for (int p = 0; p < PRODUCERS; p++) {
        int lastSeq = MESSAGES_PER_PRODUCER - 1;
        int lastControl = (lastSeq / CONTROL_EVERY) * CONTROL_EVERY;
        int lastClaim = lastSeq % CONTROL_EVERY == 0 ? lastSeq - 1 : lastSeq;
        assertThat(handler.lastControlSeq[p]).isEqualTo(lastControl);
        assertThat(handler.lastClaimSeq[p]).isEqualTo(lastClaim);
      }
    } finally {
      owner.shutdownNow();
    }
  }
}
