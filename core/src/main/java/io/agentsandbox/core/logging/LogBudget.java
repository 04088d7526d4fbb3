package io.agentsandbox.core.logging;

import io.agentsandbox.core.port.NanoClock;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A rate limit on the lines of one log category (claims, audit, sandboxes, conflicts): at most
 * {@link #limitPerSecond()} lines in each second of the clock, the rest dropped and counted. The
 * next line let through after a drop reports how many were dropped ({@link #takeDropped()}), so the
 * log itself says it is incomplete. Thread-safe and lock-free; the budget's second rolls over with
 * a CAS, so a line or two at the boundary may be counted in either second (the bound is
 * approximate, the count of dropped lines exact).
 *
 * <p>The named budgets ({@link #named}) are process-wide, like the loggers they guard; {@link
 * #limitAll} sets every one's limit at start-up.
 */
public final class LogBudget {

  /** Default lines per second per category. */
  public static final long DEFAULT_LIMIT_PER_SECOND = 1_000;

  private static final ConcurrentHashMap<String, LogBudget> NAMED = new ConcurrentHashMap<>();
  private static volatile long defaultLimit = DEFAULT_LIMIT_PER_SECOND;

  private final String category;
  private final NanoClock clock;
  private volatile long limitPerSecond;
  private final AtomicLong second = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong usedThisSecond = new AtomicLong();
  private final AtomicLong reported = new AtomicLong();
  private final LongAdder dropped = new LongAdder();

  /**
   * @param limitPerSecond lines per second; 0 lets every line through
   */
  public LogBudget(String category, long limitPerSecond, NanoClock clock) {
    if (limitPerSecond < 0)
      throw new IllegalArgumentException("limitPerSecond must be >= 0: " + limitPerSecond);
    this.category = category;
    this.limitPerSecond = limitPerSecond;
    this.clock = clock;
  }

  /** The process-wide budget of {@code category}, made on first use with the current default. */
  public static LogBudget named(String category) {
    return NAMED.computeIfAbsent(category, c -> new LogBudget(c, defaultLimit, NanoClock.SYSTEM));
  }

  /** Every named budget (for metrics). */
  public static Collection<LogBudget> all() {
    return List.copyOf(NAMED.values());
  }

  /** Sets the limit of every named budget, present and future; 0 = unlimited. */
  public static void limitAll(long perSecond) {
    if (perSecond < 0) throw new IllegalArgumentException("limit must be >= 0: " + perSecond);
    defaultLimit = perSecond;
    for (LogBudget b : NAMED.values()) b.limitPerSecond = perSecond;
  }

  public String category() {
    return category;
  }

  public long limitPerSecond() {
    return limitPerSecond;
  }

  /** True when one more line fits in this second; else counts it dropped. Any thread. */
  public boolean tryAcquire() {
    long limit = limitPerSecond;
    if (limit == 0) return true;
    long now = clock.nanoTime() / 1_000_000_000L;
    long s = second.get();
    if (now != s && second.compareAndSet(s, now)) usedThisSecond.set(0);
    // Once the second's budget is spent, a dropped line writes only to its own adder cell.
    if (usedThisSecond.get() < limit && usedThisSecond.incrementAndGet() <= limit) return true;
    dropped.increment();
    return false;
  }

  /** Lines dropped since the last call (0 mostly); the caller logs the figure. Any thread. */
  public long takeDropped() {
    long total = dropped.sum();
    long before = reported.get();
    if (total == before || !reported.compareAndSet(before, total)) return 0;
    return total - before;
  }

  /** Lines dropped since start. */
  public long droppedTotal() {
    return dropped.sum();
  }
}
