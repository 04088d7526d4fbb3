package io.agentsandbox.bench.load;

import static io.agentsandbox.bench.load.CommonOptions.range;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code rate} mode: an open loop at a fixed rate. */
@Command(
    name = "rate",
    mixinStandardHelpOptions = true,
    usageHelpAutoWidth = true,
    description = {
      "Open loop at a fixed rate: claims are sent on schedule whatever the answers; each is released after --hold.",
      ""
    })
final class RateMode extends Mode {
  @Option(
      names = "--rate",
      defaultValue = "1000",
      description = "Claims per second (default ${DEFAULT-VALUE}).")
  double rate;

  @Option(
      names = "--duration",
      defaultValue = "10s",
      converter = Durations.class,
      paramLabel = "DURATION",
      description = "Measured time (default ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(
      names = "--count",
      defaultValue = "0",
      description = "At most this many measured claims (default: rate × duration).")
  long count;

  @Option(
      names = "--warmup",
      defaultValue = "3s",
      converter = Durations.class,
      paramLabel = "DURATION",
      description = "Unrecorded run at the same rate first, per target (default ${DEFAULT-VALUE}).")
  Duration warmup;

  @Override
  String name() {
    return "rate";
  }

  @Override
  List<String> modeProblems() {
    List<String> p = new ArrayList<>();
    if (!(rate >= 1 && rate <= 1_000_000)) p.add("--rate must be 1..1000000: " + rate);
    if (duration.toMillis() < 100 || duration.compareTo(Duration.ofHours(1)) > 0)
      p.add("--duration must be 100ms..1h: " + Durations.format(duration));
    range(p, "--count", count, 0, 100_000_000);
    if (warmup.isNegative() || warmup.compareTo(Duration.ofMinutes(10)) > 0)
      p.add("--warmup must be 0..10m: " + Durations.format(warmup));
    return p;
  }

  @Override
  int replicasPerPool(int pools) {
    return sizeForRate(rate, common.hold, pools);
  }

  @Override
  void run(Session s) throws Exception {
    long max = count > 0 ? count : Long.MAX_VALUE;
    s.report
        .setting("rate", rate)
        .setting("duration", Durations.format(duration))
        .setting("count", count)
        .setting("warmup", Durations.format(warmup));
    RunResult claims = s.rateRun(s.claims, rate, duration, max, warmup);
    s.report
        .headline("claims/s (achieved)", round(claims.achievedRate()))
        .headline("claims p50 ms", round(claims.percentileMs(50)))
        .headline("claims p99 ms", round(claims.percentileMs(99)))
        .headline("claims errors", claims.errorCount());
    if (s.bare != null) {
      RunResult bare = s.rateRun(s.bare, rate, duration, max, warmup);
      s.report
          .headline("bare p99 ms", round(bare.percentileMs(99)))
          .ratio("achieved rate (claims ÷ bare)", claims.achievedRate(), bare.achievedRate())
          .ratio("p50 latency (claims ÷ bare)", claims.percentileMs(50), bare.percentileMs(50))
          .ratio("p99 latency (claims ÷ bare)", claims.percentileMs(99), bare.percentileMs(99));
    }
  }
}
