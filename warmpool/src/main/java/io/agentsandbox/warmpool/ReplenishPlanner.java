package io.agentsandbox.warmpool;

/**
 * How many sandboxes a pool starts or trims to get back to what it wants, and the creation backoff
 * after failed starts. Owned by the pool's owner thread; not thread-safe; pure: time comes in as
 * arguments.
 *
 * <p>After a failed start, creates wait an exponential backoff ({@link
 * WarmPoolPolicy#createBackoffBaseNs} doubling, at most {@link WarmPoolPolicy#createBackoffMaxNs});
 * then one probe create at a time until a sandbox becomes ready.
 */
final class ReplenishPlanner {

  private final WarmPoolPolicy policy;
  private int consecutiveCreateFailures;
  private long nextCreateAtNs;
  private boolean backoff;

  ReplenishPlanner(WarmPoolPolicy policy) {
    this.policy = policy;
  }

  /**
   * The step towards {@code desired} unclaimed members.
   *
   * @param ready members ready now
   * @param startingPool members starting for the pool (not for one cold claim)
   * @param startingTotal every member starting (the {@code maxStarting} cap counts them all)
   * @return positive: sandboxes to start now (before the creation gate has its say); negative: the
   *     ready members to delete; 0: nothing to do
   */
  int plan(int desired, int ready, int startingPool, int startingTotal, long nowNs) {
    int have = ready + startingPool;
    if (have < desired) {
      if (backoff && nowNs - nextCreateAtNs < 0) return 0;
      int creates = Math.min(desired - have, policy.maxStarting() - startingTotal);
      // NOTE: during backoff, one probe create at a time until one succeeds.
      if (backoff) creates = Math.min(creates, 1);
      return Math.max(0, creates);
    }
    if (have > desired) return -Math.min(have - desired, ready);
    return 0;
  }

  /** {@code creates} sandboxes were asked for (after the gate). */
  void onCreatesStarted(int creates, long nowNs) {
    // The probe's result (ready or failed) ends or extends the backoff; until then, no other.
    if (backoff && creates > 0) nextCreateAtNs = nowNs + policy.createBackoffMaxNs();
  }

  /** A start failed: back off, twice as long as after the previous failure (capped). */
  void onCreateFailed(long nowNs) {
    consecutiveCreateFailures++;
    backoff = true;
    long wait = policy.createBackoffBaseNs() << Math.min(consecutiveCreateFailures - 1, 20);
    nextCreateAtNs = nowNs + Math.min(wait, policy.createBackoffMaxNs());
  }

  /** A sandbox became ready: creation works, the backoff ends. */
  void onReady() {
    consecutiveCreateFailures = 0;
    backoff = false;
  }

  /**
   * A sandbox was deleted behind the pool's back: counted like a failure, minus the backoff (kept
   * only while starts are failing).
   */
  void onDeletedOutside() {
    backoff = consecutiveCreateFailures > 0;
  }

  boolean inBackoff() {
    return backoff;
  }
}
