package io.agentsandbox.warmpool;

/**
 * The base-stock rule: a pool keeps {@code S} sandboxes ready or starting, where {@code S} is the
 * smallest stock that covers the claims arriving during one lead time with the given confidence,
 * claims being Poisson with mean {@code rate x leadTime}. Pure functions.
 */
public final class TargetRule {
  private TargetRule() {}

  /**
   * The smallest {@code k} with {@code P(Poisson(mean) <= k) >= confidence}.
   *
   * @param mean expected arrivals, >= 0
   * @param confidence in (0, 1)
   */
  public static int poissonQuantile(double mean, double confidence) {
    if (mean <= 0) return 0;
    if (mean > 500) {
      // Normal approximation with continuity correction; exact terms underflow here.
      double z = inverseNormal(confidence);
      return (int) Math.ceil(mean + z * Math.sqrt(mean) - 0.5);
    }
    double p = Math.exp(-mean);
    double cdf = p;
    int k = 0;
    while (cdf < confidence && k < 100_000) {
      k++;
      p *= mean / k;
      cdf += p;
    }
    return k;
  }

  /** Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
  static double inverseNormal(double p) {
    double[] a = {
      -3.969683028665376e+01,
      2.209460984245205e+02,
      -2.759285104469687e+02,
      1.383577518672690e+02,
      -3.066479806614716e+01,
      2.506628277459239e+00
    };
    double[] b = {
      -5.447609879822406e+01,
      1.615858368580409e+02,
      -1.556989798598866e+02,
      6.680131188771972e+01,
      -1.328068155288572e+01
    };
    double[] c = {
      -7.784894002430293e-03,
      -3.223964580411365e-01,
      -2.400758277161838e+00,
      -2.549732539343734e+00,
      4.374664141464968e+00,
      2.938163982698783e+00
    };
    double[] d = {
      7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00
    };
    double q;
    if (p < 0.02425) {
      q = Math.sqrt(-2 * Math.log(p));
      return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
          / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    if (p > 1 - 0.02425) {
      q = Math.sqrt(-2 * Math.log(1 - p));
      return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
          / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    q = p - 0.5;
    double r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5])
        * q
        / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
}
