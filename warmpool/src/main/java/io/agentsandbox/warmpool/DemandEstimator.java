package io.agentsandbox.warmpool;

/**
 * Claims per second, smoothed over a short and a long window (exponentially decaying counts). The
 * estimate is the larger of the two: the short window sees a burst at once, the long one keeps a
 * lull from being over-trusted. Owned by its pool's owner thread; not thread-safe.
 */
public final class DemandEstimator {

  private final double shortTauNs;
  private final double longTauNs;
  // Owner thread only
  private double shortRate;
  private double longRate;
  private long lastNs;
  private boolean started;

  /**
   * @param shortWindowNs time constant of the fast estimate
   * @param longWindowNs time constant of the slow estimate
   */
  public DemandEstimator(long shortWindowNs, long longWindowNs) {
    if (shortWindowNs <= 0 || longWindowNs < shortWindowNs) {
      throw new IllegalArgumentException(
          "need 0 < shortWindowNs <= longWindowNs: " + shortWindowNs + ", " + longWindowNs);
    }
    this.shortTauNs = shortWindowNs;
    this.longTauNs = longWindowNs;
  }

  /** One claim arrived. */
  public void onArrival(long nowNs) {
    decayTo(nowNs);
    // Each arrival adds 1/tau events per ns; in steady state the mean equals the arrival rate.
    shortRate += 1.0 / shortTauNs;
    longRate += 1.0 / longTauNs;
  }

  private void decayTo(long nowNs) {
    if (!started) {
      started = true;
      lastNs = nowNs;
      return;
    }
    long dt = nowNs - lastNs;
    if (dt > 0) {
      shortRate *= decay(dt / shortTauNs);
      longRate *= decay(dt / longTauNs);
      lastNs = nowNs;
    }
  }

  /**
   * {@code exp(-x)}; for the tiny {@code x} of back-to-back arrivals a second-order series (error
   * below 1e-10) is far cheaper than {@link Math#exp}, and this runs on every claim.
   */
  static double decay(double x) {
    return x < 1e-3 ? 1 - x + 0.5 * x * x : Math.exp(-x);
  }

  /** The fast estimate, claims per second. */
  public double shortRatePerSecond(long nowNs) {
    return decayed(shortRate, shortTauNs, nowNs) * 1e9;
  }

  /** The slow estimate, claims per second. */
  public double longRatePerSecond(long nowNs) {
    return decayed(longRate, longTauNs, nowNs) * 1e9;
  }

  /** The estimate used for sizing: the larger of the two, claims per second. */
  public double ratePerSecond(long nowNs) {
    return Math.max(shortRatePerSecond(nowNs), longRatePerSecond(nowNs));
  }

  private double decayed(double rate, double tau, long nowNs) {
    if (!started) return 0;
    long dt = nowNs - lastNs;
    return dt <= 0 ? rate : rate * Math.exp(-dt / tau);
  }
}
