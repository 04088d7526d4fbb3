package io.agentsandbox.bench.load;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code find-max} mode: steps the rate up until the SLO breaks. */
@Command(
    name = "find-max",
    mixinStandardHelpOptions = true,
    usageHelpAutoWidth = true,
    description = {
      "Steps the open-loop rate up (× --growth) until p99 exceeds --slo, errors exceed --max-error-rate, "
          + "or the target falls behind; reports the highest sustained rate (and the bare endpoint's, with --baseline).",
      ""
    })
final class FindMaxMode extends Mode {
  @Option(
      names = "--start-rate",
      defaultValue = "2000",
      description = "First step, claims/s (default ${DEFAULT-VALUE}).")
  double startRate;

  @Option(
      names = "--growth",
      defaultValue = "1.25",
      description = "Each step's rate is the last × this (default ${DEFAULT-VALUE}).")
  double growth;

  @Option(
      names = "--max-rate",
      defaultValue = "200000",
      description = "Never step above this rate (default ${DEFAULT-VALUE}).")
  double maxRate;

  @Option(
      names = "--step-duration",
      defaultValue = "5s",
      converter = Durations.class,
      paramLabel = "DURATION",
      description = "Measured time per step (default ${DEFAULT-VALUE}).")
  Duration stepDuration;

  @Option(
      names = "--slo",
      defaultValue = "10ms",
      converter = Durations.class,
      paramLabel = "DURATION",
      description = "A step is sustained while its p99 is at most this (default ${DEFAULT-VALUE}).")
  Duration slo;

  @Option(
      names = "--max-error-rate",
      defaultValue = "0",
      description =
          "... and at most this fraction of its claims failed (default ${DEFAULT-VALUE}).")
  double maxErrorRate;

  @Option(
      names = "--warmup",
      defaultValue = "3s",
      converter = Durations.class,
      paramLabel = "DURATION",
      description = "Unrecorded run at --start-rate first, per target (default ${DEFAULT-VALUE}).")
  Duration warmup;

  @Override
  String name() {
    return "find-max";
  }

  @Override
  List<String> modeProblems() {
    List<String> p = new ArrayList<>();
    if (!(startRate >= 1 && startRate <= 1_000_000))
      p.add("--start-rate must be 1..1000000: " + startRate);
    if (!(maxRate >= startRate && maxRate <= 1_000_000))
      p.add("--max-rate must be --start-rate..1000000: " + maxRate);
    if (!(growth > 1.0 && growth <= 10))
      p.add("--growth must be above 1 and at most 10: " + growth);
    if (stepDuration.toMillis() < 200 || stepDuration.compareTo(Duration.ofMinutes(10)) > 0) {
      p.add("--step-duration must be 200ms..10m: " + Durations.format(stepDuration));
    }
    if (slo.toNanos() <= 0 || slo.compareTo(Duration.ofMinutes(1)) > 0)
      p.add("--slo must be above 0 and at most 1m: " + Durations.format(slo));
    if (!(maxErrorRate >= 0 && maxErrorRate < 1))
      p.add("--max-error-rate must be 0 (inclusive) to 1 (exclusive): " + maxErrorRate);
    if (warmup.isNegative() || warmup.compareTo(Duration.ofMinutes(10)) > 0)
      p.add("--warmup must be 0..10m: " + Durations.format(warmup));
    return p;
  }

  @Override
  int replicasPerPool(int pools) {
    return sizeForRate(maxRate, common.hold, pools);
  }

  @Override
  void run(Session s) throws Exception {
    s.report
        .setting("startRate", startRate)
        .setting("growth", growth)
        .setting("maxRate", maxRate)
        .setting("stepDuration", Durations.format(stepDuration))
        .setting("slo", Durations.format(slo))
        .setting("maxErrorRate", maxErrorRate)
        .setting("warmup", Durations.format(warmup));
    double claims = s.findMax(s.claims, this);
    s.report.headline("claims max sustained rate /s", round(claims));
    if (s.bare != null) {
      double bare = s.findMax(s.bare, this);
      s.report
          .headline("bare max sustained rate /s", round(bare))
          .ratio("max sustained rate (claims ÷ bare)", claims, bare);
      if (bare >= maxRate)
        s.report.note(
            "the bare endpoint sustained --max-rate; the ratio is a lower bound of its true headroom");
    }
  }

  /** Step verdict: null when sustained, else why not. */
  String verdict(RunResult r) {
    double errorRate = r.attempted() == 0 ? 1 : (double) r.errorCount() / r.attempted();
    if (errorRate > maxErrorRate)
      return String.format(
          Locale.ROOT,
          "errors %.3f%% > %.3f%%: %s",
          100 * errorRate,
          100 * maxErrorRate,
          r.errors());
    double p99 = r.percentileMs(99);
    if (p99 > slo.toNanos() / 1e6)
      return String.format(Locale.ROOT, "p99 %.2f ms > SLO %s", p99, Durations.format(slo));
    if (r.achievedRate() < 0.95 * r.offeredRate()) {
      return String.format(
          Locale.ROOT,
          "fell behind: %.0f/s achieved of %.0f/s offered",
          r.achievedRate(),
          r.offeredRate());
    }
    return null;
  }
}
