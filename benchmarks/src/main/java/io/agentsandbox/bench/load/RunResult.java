package io.agentsandbox.bench.load;

import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * The outcome of one measured run against one target. Immutable (the histogram is a private copy).
 *
 * @param target {@code claims} (the claim API) or {@code baseline} (the bare Vert.x endpoint)
 * @param label e.g. {@code rate 5000/s} or {@code burst 10000}
 * @param offeredRate claims per second the generator was asked for; 0 for a burst
 * @param attempted requests the generator sent (or tried to)
 * @param ok requests answered with success ({@code 201})
 * @param errors failed requests by kind
 * @param releaseErrors releases ({@code DELETE}) that failed
 * @param durationNs from the run's start to its last answer
 * @param sendWindowNs from the run's start to the end of sending
 * @param timeToAllOkNs burst only: from the burst's start to the last success; -1 otherwise
 * @param latencyNs latencies of successes, from each request's intended send time
 * @param intervals per-interval summaries
 */
public record RunResult(
    String target,
    String label,
    double offeredRate,
    long attempted,
    long ok,
    Map<String, Long> errors,
    long releaseErrors,
    long durationNs,
    long sendWindowNs,
    long timeToAllOkNs,
    Histogram latencyNs,
    List<LatencyLog.Interval> intervals) {

  public long errorCount() {
    long n = 0;
    for (long v : errors.values()) n += v;
    return n;
  }

  /** Successes per second over the whole run (start to last answer). */
  public double achievedRate() {
    return durationNs <= 0 ? 0 : ok / (durationNs / 1e9);
  }

  /** A latency percentile in ms, 0 when nothing succeeded. */
  public double percentileMs(double percentile) {
    return latencyNs.getTotalCount() == 0 ? 0 : latencyNs.getValueAtPercentile(percentile) / 1e6;
  }

  public double maxMs() {
    return latencyNs.getTotalCount() == 0 ? 0 : latencyNs.getMaxValue() / 1e6;
  }

  public double meanMs() {
    return latencyNs.getTotalCount() == 0 ? 0 : latencyNs.getMean() / 1e6;
  }
}
