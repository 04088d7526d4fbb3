package io.agentsandbox.bench.load;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * The progress line of a running {@link LoadRun}: sent, ok, errors, rate and p99 of the last
 * second.
 */
final class RunProgress {
  private RunProgress() {}

  static void print(PrintStream out, LoadRun run, String what, long now) {
    if (out == null) return;
    List<LatencyLog.Interval> ivs = run.log.intervals();
    double p99 = 0;
    double rate = 0;
    // The last second of intervals: rate and worst p99.
    double since = (now - run.log.startNs()) / 1e9 - 1.0;
    long okInWindow = 0;
    double window = 0;
    for (int k = ivs.size() - 1; k >= 0 && ivs.get(k).atSeconds() > since; k--) {
      okInWindow += ivs.get(k).ok();
      p99 = Math.max(p99, ivs.get(k).p99Ms());
      window = (now - run.log.startNs()) / 1e9 - (k > 0 ? ivs.get(k - 1).atSeconds() : 0);
    }
    if (window > 0) rate = okInWindow / window;
    String line =
        String.format(
            Locale.ROOT,
            "[%s] %5.1fs  sent %,d  ok %,d  errors %,d  %,.0f ok/s  p99 %.2f ms  in flight %,d",
            what,
            Math.max(0, (now - run.log.startNs()) / 1e9),
            run.attempted.get(),
            run.log.okCount(),
            run.log.errorCount(),
            rate,
            p99,
            run.inFlight.get());
    if (System.console() != null) out.print("\r" + line + "   ");
    else out.println(line);
    out.flush();
  }
}
