package io.agentsandbox.core.testing;

import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.ClaimRequest;
import io.agentsandbox.core.model.ClaimTicket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A ticket that records its outcome and how many times it was completed. Any thread may read. */
public final class RecordingTicket extends ClaimTicket {
  private final AtomicInteger completions = new AtomicInteger();
  private final CountDownLatch done = new CountDownLatch(1);
  private volatile ClaimOutcome outcome;
  private final String traceId;

  public RecordingTicket(ClaimRequest request) {
    this(request, null);
  }

  /** A ticket whose claim carried the W3C trace id {@code traceId}. */
  public RecordingTicket(ClaimRequest request, String traceId) {
    super(request);
    this.traceId = traceId;
  }

  @Override
  public String traceId() {
    return traceId;
  }

  @Override
  protected void onComplete(ClaimOutcome outcome) {
    this.outcome = outcome;
    completions.incrementAndGet();
    done.countDown();
  }

  public ClaimOutcome outcome() {
    return outcome;
  }

  public int completions() {
    return completions.get();
  }

  public boolean isAnswered() {
    return outcome != null;
  }

  /** Waits, bounded, for the outcome; null if none came in time. */
  public ClaimOutcome await(long timeout, TimeUnit unit) throws InterruptedException {
    return done.await(timeout, unit) ? outcome : null;
  }

  public ClaimOutcome.Assigned assigned() {
    return (ClaimOutcome.Assigned) outcome;
  }

  public ClaimOutcome.Rejected rejected() {
    return (ClaimOutcome.Rejected) outcome;
  }
}
