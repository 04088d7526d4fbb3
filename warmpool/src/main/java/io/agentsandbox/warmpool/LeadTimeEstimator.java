package io.agentsandbox.warmpool;

import java.util.Arrays;

/**
 * The time from asking the backend for a sandbox to it being ready: the p90 of the last {@value
 * #SAMPLES} observations, seeded from configuration until enough are seen. Owned by its pool's
 * owner thread; not thread-safe.
 */
public final class LeadTimeEstimator {

  static final int SAMPLES = 64;
  private static final int MIN_SAMPLES = 8;

  private final long seedNs;
  // Owner thread only
  private final long[] ring = new long[SAMPLES];
  private final long[] scratch = new long[SAMPLES];
  private int count;
  private int next;
  private long p90Ns;
  private boolean dirty;

  /**
   * @param seedNs the lead time assumed before {@value #MIN_SAMPLES} observations
   */
  public LeadTimeEstimator(long seedNs) {
    if (seedNs <= 0) throw new IllegalArgumentException("seedNs must be > 0: " + seedNs);
    this.seedNs = seedNs;
    this.p90Ns = seedNs;
  }

  /** A sandbox became ready {@code startNs} after it was asked for. */
  public void onObserved(long startNs) {
    if (startNs < 0) return;
    ring[next] = startNs;
    next = (next + 1) % SAMPLES;
    if (count < SAMPLES) count++;
    dirty = true;
  }

  /** The p90 lead time (the seed until enough observations). */
  public long p90Ns() {
    if (count < MIN_SAMPLES) return seedNs;
    if (dirty) {
      System.arraycopy(ring, 0, scratch, 0, count);
      Arrays.sort(scratch, 0, count);
      p90Ns = scratch[Math.min(count - 1, (int) Math.ceil(0.9 * count) - 1)];
      dirty = false;
    }
    return p90Ns;
  }

  public int observations() {
    return count;
  }
}
