package io.agentsandbox.bench.load;

import static io.agentsandbox.bench.load.CommonOptions.range;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code burst} mode: N claims at once. */
@Command(
    name = "burst",
    mixinStandardHelpOptions = true,
    usageHelpAutoWidth = true,
    description = {
      "N claims at once: time until all are bound, latency distribution, errors by status. "
          + "Claims are released after the measurement; the pools refill before the next burst.",
      ""
    })
final class BurstMode extends Mode {
  @Option(
      names = "--count",
      defaultValue = "10000",
      description = "Claims in the burst (default ${DEFAULT-VALUE}).")
  int count;

  @Option(
      names = "--warmup-bursts",
      defaultValue = "1",
      description = "Unrecorded bursts first, per target (default ${DEFAULT-VALUE}).")
  int warmupBursts;

  @Option(
      names = "--burst-timeout",
      defaultValue = "60s",
      converter = Durations.class,
      paramLabel = "DURATION",
      description = "Longest a burst may take (default ${DEFAULT-VALUE}).")
  Duration burstTimeout;

  @Override
  String name() {
    return "burst";
  }

  @Override
  List<String> modeProblems() {
    List<String> p = new ArrayList<>();
    range(p, "--count", count, 1, 1_000_000);
    range(p, "--warmup-bursts", warmupBursts, 0, 100);
    if (burstTimeout.toMillis() < 100 || burstTimeout.compareTo(Duration.ofMinutes(10)) > 0) {
      p.add("--burst-timeout must be 100ms..10m: " + Durations.format(burstTimeout));
    }
    return p;
  }

  @Override
  int replicasPerPool(int pools) {
    return (count + pools - 1) / pools;
  }

  @Override
  void run(Session s) throws Exception {
    s.report
        .setting("count", count)
        .setting("warmupBursts", warmupBursts)
        .setting("burstTimeout", Durations.format(burstTimeout));
    RunResult claims = s.burstRun(s.claims, count, warmupBursts, burstTimeout);
    s.report
        .headline("claims bound", claims.ok() + " of " + count)
        .headline(
            "time to all bound ms",
            claims.ok() == count ? round(claims.timeToAllOkNs() / 1e6) : "not all bound")
        .headline("claims p50 ms", round(claims.percentileMs(50)))
        .headline("claims p99 ms", round(claims.percentileMs(99)))
        .headline("claims errors", claims.errors().toString());
    if (s.bare != null) {
      RunResult bare = s.burstRun(s.bare, count, warmupBursts, burstTimeout);
      s.report
          .headline("bare time to all answered ms", round(bare.timeToAllOkNs() / 1e6))
          .headline("bare p99 ms", round(bare.percentileMs(99)))
          .ratio(
              "burst throughput (claims ÷ bare)",
              1.0 / Math.max(1, claims.timeToAllOkNs()),
              1.0 / Math.max(1, bare.timeToAllOkNs()))
          .ratio(
              "time to all answered (claims ÷ bare)", claims.timeToAllOkNs(), bare.timeToAllOkNs())
          .ratio("p99 latency (claims ÷ bare)", claims.percentileMs(99), bare.percentileMs(99));
    }
  }
}
