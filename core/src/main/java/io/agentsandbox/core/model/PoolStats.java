package io.agentsandbox.core.model;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One pool's counts, written by the pool's owner thread and read by any thread (gauges, {@code GET
 * /v1/pools}).
 *
 * <p>Single writer: the owner publishes with release semantics ({@code lazySet}); readers see each
 * value on its own, not a consistent snapshot across fields, which is all a gauge needs.
 */
public final class PoolStats {

  private static final int READY = 0;
  private static final int STARTING = 1;
  private static final int CLAIMED = 2;
  private static final int DESIRED = 3;
  private static final int PENDING = 4;
  private static final int WARM_ASSIGNED = 5;
  private static final int COLD_ASSIGNED = 6;
  private static final int DELETING = 7;
  private static final int HITS = 8;
  private static final int TARGET = 9;
  private static final int TARGET_REASON = 10;
  private static final int DEMAND_BITS = 11;
  private static final int LEAD_TIME_NS = 12;
  private static final int FIELDS = 13;

  // Owner writes (lazySet), any thread reads
  private final AtomicLongArray values = new AtomicLongArray(FIELDS);

  /** Publishes the owner's current counts of sandboxes and claims. Owner thread only. */
  public void publish(
      int ready, int starting, int claimed, int desired, int pending, int deleting) {
    values.lazySet(READY, ready);
    values.lazySet(STARTING, starting);
    values.lazySet(CLAIMED, claimed);
    values.lazySet(DESIRED, desired);
    values.lazySet(PENDING, pending);
    values.lazySet(DELETING, deleting);
  }

  /**
   * Publishes the running totals of claims answered with a sandbox: from the ready stock, by a cold
   * start, and at once (hits). Owner thread only.
   */
  public void publishAssigned(long warmAssigned, long coldAssigned, long hits) {
    values.lazySet(WARM_ASSIGNED, warmAssigned);
    values.lazySet(COLD_ASSIGNED, coldAssigned);
    values.lazySet(HITS, hits);
  }

  /**
   * Publishes the pool's sizing: its target, why (an ordinal the pool's owner defines), the demand
   * estimate and the p90 lead time. Owner thread only.
   */
  public void publishSizing(
      int target, int reasonOrdinal, double demandPerSecond, long leadTimeP90Ns) {
    values.lazySet(TARGET, target);
    values.lazySet(TARGET_REASON, reasonOrdinal);
    values.lazySet(DEMAND_BITS, Double.doubleToRawLongBits(demandPerSecond));
    values.lazySet(LEAD_TIME_NS, leadTimeP90Ns);
  }

  /** Unclaimed stock the pool aims at, before waiting claims. */
  public long target() {
    return values.get(TARGET);
  }

  public int targetReasonOrdinal() {
    return (int) values.get(TARGET_REASON);
  }

  /** Estimated claims per second. */
  public double demandPerSecond() {
    return Double.longBitsToDouble(values.get(DEMAND_BITS));
  }

  /** p90 time from create to ready, ns. */
  public long leadTimeP90Ns() {
    return values.get(LEAD_TIME_NS);
  }

  public long ready() {
    return values.get(READY);
  }

  public long starting() {
    return values.get(STARTING);
  }

  public long claimed() {
    return values.get(CLAIMED);
  }

  public long desired() {
    return values.get(DESIRED);
  }

  /** Claims waiting for a sandbox (the pool's queue depth). */
  public long pending() {
    return values.get(PENDING);
  }

  public long deleting() {
    return values.get(DELETING);
  }

  public long warmAssigned() {
    return values.get(WARM_ASSIGNED);
  }

  public long coldAssigned() {
    return values.get(COLD_ASSIGNED);
  }

  /** Claims answered at once from a ready sandbox, without waiting. */
  public long hits() {
    return values.get(HITS);
  }

  /**
   * Warm-hit ratio: claims answered at once from a ready sandbox over all claims answered with a
   * sandbox; 1.0 before the first one.
   */
  public double warmHitRatio() {
    long all = warmAssigned() + coldAssigned();
    return all == 0 ? 1.0 : (double) hits() / all;
  }
}
