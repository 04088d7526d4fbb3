package io.agentsandbox.bench.load;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Options of every mode (a picocli mixin). */
public final class CommonOptions {
  @Option(
      names = "--target",
      paramLabel = "URL",
      description =
          "Base URL of a running server; loopback only (127.0.0.0/8, ::1, localhost). Default http://127.0.0.1:8080 unless --embedded.")
  String target;

  @Option(
      names = "--embedded",
      description =
          "Start the server in this JVM on the SIMULATED backend (0 ms starts), with pools sized for the load, one per shard.")
  boolean embedded;

  @Option(
      names = "--baseline",
      description =
          "Also run the same load against a bare Vert.x endpoint returning fixed JSON (same run); report claims ÷ bare.")
  boolean baseline;

  @Option(
      names = "--pool",
      paramLabel = "NAME",
      description =
          "Pool(s) in namespace default to claim from, round-robin (external target; default python-gvisor). Repeatable.")
  List<String> pools = new ArrayList<>();

  @Option(
      names = "--tenants",
      defaultValue = "16",
      description = "Tenants (X-Tenant load-0..N-1), round-robin (default ${DEFAULT-VALUE}).")
  int tenants;

  @Option(
      names = "--connections",
      defaultValue = "128",
      description = "HTTP/1.1 connections per target (default ${DEFAULT-VALUE}).")
  int connections;

  @Option(
      names = "--generators",
      defaultValue = "1",
      description =
          "Client event loops generating load (default ${DEFAULT-VALUE}; the server shares this machine's CPUs).")
  int generators;

  @Option(
      names = "--hold",
      defaultValue = "0ms",
      converter = Durations.class,
      paramLabel = "DURATION",
      description =
          "How long each claim is held before it is released with DELETE (rate, find-max; default ${DEFAULT-VALUE}). Burst releases after measuring.")
  Duration hold;

  @Option(
      names = "--wait-ms",
      defaultValue = "10000",
      description = "waitMs of each claim (default ${DEFAULT-VALUE}).")
  long waitMs;

  @Option(
      names = "--request-timeout",
      defaultValue = "30s",
      converter = Durations.class,
      paramLabel = "DURATION",
      description =
          "Per-request timeout; a late answer counts as an error (default ${DEFAULT-VALUE}).")
  Duration requestTimeout;

  @Option(
      names = "--max-in-flight",
      defaultValue = "100000",
      description =
          "Requests outstanding at most; above it a request is counted as an error, not sent (default ${DEFAULT-VALUE}).")
  long maxInFlight;

  @Option(
      names = "--max-duration",
      defaultValue = "10m",
      converter = Durations.class,
      paramLabel = "DURATION",
      description = "Hard bound on the whole invocation (default ${DEFAULT-VALUE}).")
  Duration maxDuration;

  @Option(
      names = "--results",
      paramLabel = "DIR",
      description =
          "Where to write the report (default benchmarks/results/<timestamp>, or results/<timestamp> inside benchmarks/).")
  Path results;

  @Option(
      names = "--shards",
      defaultValue = "0",
      description = "--embedded: claim shards (default: one per CPU).")
  int shards;

  @Option(
      names = "--http-instances",
      defaultValue = "0",
      description =
          "--embedded: HTTP verticles; also the bare endpoint's instances (default: one per CPU).")
  int httpInstances;

  @Option(
      names = "--replicas",
      defaultValue = "0",
      description = "--embedded: warm sandboxes per pool (default: sized for the load).")
  int replicas;

  @Option(
      names = "--fail-on-errors",
      description = "Exit with status 3 when any claim failed (for CI).")
  boolean failOnErrors;

  @Option(names = "--quiet", description = "No progress line.")
  boolean quiet;

  /** Problems with these options, one sentence each. */
  List<String> problems() {
    List<String> p = new ArrayList<>();
    if (embedded && target != null) p.add("give either --embedded or --target, not both");
    if (target != null) {
      try {
        Loopback.requireLoopback(target);
      } catch (IllegalArgumentException e) {
        p.add(e.getMessage());
      }
    }
    if (embedded && !pools.isEmpty())
      p.add("--pool is for an external --target; --embedded makes its own pools");
    for (String pool : pools) {
      if (!pool.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?"))
        p.add("--pool '" + pool + "' is not a pool name");
    }
    range(p, "--tenants", tenants, 1, 100_000);
    range(p, "--connections", connections, 1, 10_000);
    range(p, "--generators", generators, 1, 64);
    range(p, "--wait-ms", waitMs, 0, 300_000);
    range(p, "--max-in-flight", maxInFlight, 1, 10_000_000);
    range(p, "--shards", shards, 0, 256);
    range(p, "--http-instances", httpInstances, 0, 256);
    range(p, "--replicas", replicas, 0, 2_000_000);
    if (hold.isNegative() || hold.compareTo(Duration.ofMinutes(10)) > 0)
      p.add("--hold must be 0..10m: " + Durations.format(hold));
    if (requestTimeout.toMillis() < 1 || requestTimeout.compareTo(Duration.ofMinutes(5)) > 0) {
      p.add("--request-timeout must be 1ms..5m: " + Durations.format(requestTimeout));
    }
    if (maxDuration.toMillis() < 1 || maxDuration.compareTo(Duration.ofHours(2)) > 0) {
      p.add("--max-duration must be 1ms..2h: " + Durations.format(maxDuration));
    }
    if (!embedded && (shards != 0 || replicas != 0))
      p.add("--shards and --replicas apply to --embedded only");
    return p;
  }

  Loopback.Target resolvedTarget() {
    return Loopback.requireLoopback(target == null ? "http://127.0.0.1:8080" : target);
  }

  List<String> externalPools() {
    return pools.isEmpty() ? List.of("python-gvisor") : pools;
  }

  static void range(List<String> problems, String name, long value, long min, long max) {
    if (value < min || value > max)
      problems.add(name + " must be " + min + ".." + max + ": " + value);
  }
}
