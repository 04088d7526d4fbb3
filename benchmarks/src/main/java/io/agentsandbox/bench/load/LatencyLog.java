package io.agentsandbox.bench.load;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What one run observed: latencies of successful claims (HdrHistogram {@link Recorder}, in ns,
 * measured from each claim's intended send time), errors by kind, and per-interval summaries for
 * the latency-over-time plot. Recording: any thread; {@link #sample} and {@link #total}: one thread
 * at a time (the progress timer, then the driver).
 */
public final class LatencyLog {

  /** One interval: what completed in it. Times in ms since the run's start. */
  public record Interval(
      double atSeconds,
      long ok,
      long errors,
      double p50Ms,
      double p90Ms,
      double p99Ms,
      double maxMs) {}

  private final long startNs;
  private final Recorder recorder = new Recorder(3);
  private final Histogram total = new Histogram(3);
  private Histogram interval;
  private final List<Interval> intervals = new ArrayList<>();
  private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
  private final LongAdder okCount = new LongAdder();
  private final LongAdder errorCount = new LongAdder();
  private final LongAdder releaseErrors = new LongAdder();
  private final AtomicLong lastOkNs = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong lastAnswerNs = new AtomicLong(Long.MIN_VALUE);
  private long errorsAtLastSample;

  public LatencyLog(long startNs) {
    this.startNs = startNs;
    total.setAutoResize(true);
  }

  public long startNs() {
    return startNs;
  }

  /** A claim answered with success {@code latencyNs} after it should have been sent. Any thread. */
  public void ok(long latencyNs, long nowNs) {
    recorder.recordValue(Math.max(0, latencyNs));
    okCount.increment();
    lastOkNs.accumulateAndGet(nowNs, Math::max);
    lastAnswerNs.accumulateAndGet(nowNs, Math::max);
  }

  /** A claim that failed: {@code kind} is e.g. {@code HTTP 503} or {@code timeout}. Any thread. */
  public void error(String kind, long nowNs) {
    errors.computeIfAbsent(kind, k -> new LongAdder()).increment();
    errorCount.increment();
    lastAnswerNs.accumulateAndGet(nowNs, Math::max);
  }

  /** A release ({@code DELETE}) that failed. Any thread. */
  public void releaseError() {
    releaseErrors.increment();
  }

  /** Closes the current interval at {@code nowNs} and returns its summary. */
  public synchronized Interval sample(long nowNs) {
    interval = recorder.getIntervalHistogram(interval);
    total.add(interval);
    long errs = errorCount.sum();
    Interval iv =
        new Interval(
            (nowNs - startNs) / 1e9,
            interval.getTotalCount(),
            errs - errorsAtLastSample,
            ms(interval.getValueAtPercentile(50)),
            ms(interval.getValueAtPercentile(90)),
            ms(interval.getValueAtPercentile(99)),
            ms(interval.getMaxValue()));
    errorsAtLastSample = errs;
    intervals.add(iv);
    return iv;
  }

  /** Every latency recorded up to the last {@link #sample}. */
  public synchronized Histogram total() {
    return total.copy();
  }

  public synchronized List<Interval> intervals() {
    return List.copyOf(intervals);
  }

  /** Successes so far. Any thread. */
  public long okCount() {
    return okCount.sum();
  }

  public long errorCount() {
    return errorCount.sum();
  }

  public long releaseErrorCount() {
    return releaseErrors.sum();
  }

  /** Errors by kind, sorted by kind. */
  public Map<String, Long> errors() {
    Map<String, Long> out = new TreeMap<>();
    errors.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** Time of the last success, or {@code Long.MIN_VALUE}. */
  public long lastOkNs() {
    return lastOkNs.get();
  }

  /** Time of the last answer of any kind, or {@code Long.MIN_VALUE}. */
  public long lastAnswerNs() {
    return lastAnswerNs.get();
  }

  static double ms(long ns) {
    return ns / 1e6;
  }
}
