package io.agentsandbox.bench.load;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The load harness: drives the claim API over HTTP (open loop, latency from intended send time,
 * HdrHistogram), optionally against a bare Vert.x endpoint in the same run, and writes a JSON and
 * an HTML report with plots. Loopback targets only. Run {@code --help}.
 */
@Command(
    name = "load-harness",
    mixinStandardHelpOptions = true,
    version = "agent-sandbox load harness 0.1.0",
    usageHelpAutoWidth = true,
    subcommands = {
      LoadHarness.Rate.class,
      LoadHarness.Burst.class,
      LoadHarness.FindMax.class,
      CommandLine.HelpCommand.class
    },
    description = {
      "Load-tests the claim API (POST /v1/claims, then DELETE after --hold) of a server on this machine.",
      "Latency is measured from each claim's intended send time (open loop: no coordinated omission).",
      "Every run is bounded by a count and a time. Writes report.json, report.html and PNG plots.",
      ""
    },
    footer = {
      "",
      "Examples (from /work/main, after building benchmarks/target/benchmarks.jar):",
      "  H='java -cp benchmarks/target/benchmarks.jar io.agentsandbox.bench.load.LoadHarness'",
      "  $H burst --embedded --baseline                      # 10,000 claims at once, in-process server",
      "  $H rate --embedded --baseline --rate 20000 --duration 20s",
      "  $H find-max --embedded --baseline --slo 50ms",
      "  $H rate --target http://127.0.0.1:8080 --pool python-gvisor --rate 200 --hold 1s   # a running ./run.sh",
      "Run '<mode> --help' for a mode's options."
    })
public final class LoadHarness implements Callable<Integer> {

  static final int EXIT_OK = 0;
  static final int EXIT_FAILED = 1;
  static final int EXIT_USAGE = 2;
  static final int EXIT_ERRORS = 3;

  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(System.err);
    return EXIT_USAGE;
  }

  // ---------------------------------------------------------------- shared options

  /** Options of every mode. */
  public static final class Common {
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
  }

  static void range(List<String> problems, String name, long value, long min, long max) {
    if (value < min || value > max)
      problems.add(name + " must be " + min + ".." + max + ": " + value);
  }

  // ---------------------------------------------------------------- modes

  /** What a mode does once its targets are up. */
  abstract static class Mode implements Callable<Integer> {
    @Mixin Common common;
    @Spec CommandLine.Model.CommandSpec spec;

    abstract String name();

    abstract List<String> modeProblems();

    /** Warm sandboxes per embedded pool for this load, given the pool count. */
    abstract int replicasPerPool(int pools);

    abstract void run(Session s) throws Exception;

    /** All problems, common and mode-specific. */
    List<String> problems() {
      List<String> p = common.problems();
      p.addAll(modeProblems());
      return p;
    }

    @Override
    public Integer call() throws Exception {
      List<String> problems = problems();
      if (!problems.isEmpty()) {
        for (String p : problems) System.err.println("invalid option: " + p);
        System.err.println("Run '" + spec.qualifiedName() + " --help' for the options.");
        return EXIT_USAGE;
      }
      try (Session s = Session.open(this)) {
        run(s);
        s.finishReport();
        return common.failOnErrors && s.anyErrors() ? EXIT_ERRORS : EXIT_OK;
      } catch (IllegalArgumentException e) {
        System.err.println("cannot run: " + e.getMessage());
        return EXIT_FAILED;
      }
    }
  }

  @Command(
      name = "rate",
      mixinStandardHelpOptions = true,
      usageHelpAutoWidth = true,
      description = {
        "Open loop at a fixed rate: claims are sent on schedule whatever the answers; each is released after --hold.",
        ""
      })
  static final class Rate extends Mode {
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
        description =
            "Unrecorded run at the same rate first, per target (default ${DEFAULT-VALUE}).")
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

  @Command(
      name = "burst",
      mixinStandardHelpOptions = true,
      usageHelpAutoWidth = true,
      description = {
        "N claims at once: time until all are bound, latency distribution, errors by status. "
            + "Claims are released after the measurement; the pools refill before the next burst.",
        ""
      })
  static final class Burst extends Mode {
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
                "time to all answered (claims ÷ bare)",
                claims.timeToAllOkNs(),
                bare.timeToAllOkNs())
            .ratio("p99 latency (claims ÷ bare)", claims.percentileMs(99), bare.percentileMs(99));
      }
    }
  }

  @Command(
      name = "find-max",
      mixinStandardHelpOptions = true,
      usageHelpAutoWidth = true,
      description = {
        "Steps the open-loop rate up (× --growth) until p99 exceeds --slo, errors exceed --max-error-rate, "
            + "or the target falls behind; reports the highest sustained rate (and the bare endpoint's, with --baseline).",
        ""
      })
  static final class FindMax extends Mode {
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
        description =
            "A step is sustained while its p99 is at most this (default ${DEFAULT-VALUE}).")
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
        description =
            "Unrecorded run at --start-rate first, per target (default ${DEFAULT-VALUE}).")
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

  /** Embedded pools for a rate: what is held plus a margin, never fewer than 1,000 per pool. */
  static int sizeForRate(double rate, Duration hold, int pools) {
    double heldSeconds = Math.max(hold.toNanos() / 1e9, 0.05) * 2;
    return (int)
        Math.min(2_000_000, Math.max(1_000, Math.ceil(rate * heldSeconds / pools) + 1_000));
  }

  static double round(double v) {
    return ReportWriter.round(v);
  }

  // ---------------------------------------------------------------- a session: targets, driver,
  // report

  /** The targets, the driver and the report of one invocation. Main thread only. */
  static final class Session implements AutoCloseable {
    final Mode mode;
    final Report report;
    final Path resultsDir;
    final long deadlineNs;
    EmbeddedServer embedded;
    BareEndpoint bareServer;
    LoadDriver driver;
    LoadDriver.Endpoint claims;
    LoadDriver.Endpoint bare;
    int expectedReadyPerPool;
    boolean errors;

    private Session(Mode mode) {
      this.mode = mode;
      this.deadlineNs = System.nanoTime() + mode.common.maxDuration.toNanos();
      this.report = new Report(mode.name(), OffsetDateTime.now().withNano(0).toString());
      this.resultsDir = mode.common.results != null ? mode.common.results : defaultResultsDir();
    }

    static Session open(Mode mode) throws Exception {
      Session s = new Session(mode);
      try {
        s.start();
      } catch (Exception e) {
        s.close();
        throw e;
      }
      return s;
    }

    private void start() throws Exception {
      Common c = mode.common;
      int cpus = Runtime.getRuntime().availableProcessors();
      int httpInstances = c.httpInstances > 0 ? c.httpInstances : cpus;
      PrintStream progress = c.quiet ? null : System.err;
      driver =
          new LoadDriver(
              new LoadDriver.Settings(
                  c.tenants,
                  c.connections,
                  c.generators,
                  c.hold.toMillis(),
                  c.waitMs,
                  c.requestTimeout.toMillis(),
                  c.maxInFlight,
                  progress));
      if (c.embedded) {
        int shards = c.shards > 0 ? c.shards : cpus;
        int replicas = c.replicas > 0 ? c.replicas : mode.replicasPerPool(shards);
        System.err.printf(
            "starting the claim server in-process (SIMULATED backend, %d shards, %d HTTP verticles, %,d warm sandboxes per pool)%n",
            shards, httpInstances, replicas);
        embedded =
            EmbeddedServer.start(
                shards, replicas, List.of("--http-instances", Integer.toString(httpInstances)));
        claims =
            new LoadDriver.Endpoint("claims", "127.0.0.1", embedded.port(), embedded.pools(), true);
        expectedReadyPerPool = replicas;
        report
            .setting("target", "embedded http://127.0.0.1:" + embedded.port())
            .setting("embedded.shards", embedded.shards())
            .setting("embedded.httpInstances", embedded.httpInstances())
            .setting("embedded.pools", String.join(",", embedded.pools()))
            .setting("embedded.replicasPerPool", replicas)
            .setting("embedded.backend", "simulated, 0 ms start latency");
        if (!driver.awaitReady(claims, replicas, Duration.ofSeconds(120)))
          throw new IllegalStateException("embedded pools did not fill in 120 s");
      } else {
        Loopback.Target t = c.resolvedTarget();
        claims = new LoadDriver.Endpoint("claims", t.host(), t.port(), c.externalPools(), true);
        Map<String, Integer> ready;
        try {
          ready = driver.readyByPool(claims);
        } catch (java.util.concurrent.ExecutionException e) {
          throw new IllegalArgumentException(
              "cannot reach " + t.baseUrl() + ": " + e.getCause().getMessage());
        }
        expectedReadyPerPool = ready.values().stream().mapToInt(Integer::intValue).min().orElse(0);
        report
            .setting("target", t.baseUrl())
            .setting("pools", String.join(",", claims.pools()))
            .setting("readyAtStart", ready.toString());
        System.err.println("target " + t.baseUrl() + ", ready sandboxes per pool: " + ready);
      }
      if (c.baseline) {
        bareServer = BareEndpoint.start(httpInstances);
        bare =
            new LoadDriver.Endpoint(
                "baseline", "127.0.0.1", bareServer.port(), claims.pools(), false);
        report.setting(
            "baseline",
            "bare Vert.x HttpServer, "
                + httpInstances
                + " verticles, fixed "
                + BareEndpoint.CLAIM_BODY.length()
                + "-byte JSON, on http://127.0.0.1:"
                + bareServer.port());
      }
      report
          .setting("tenants", c.tenants)
          .setting("connections", c.connections)
          .setting("generators", c.generators)
          .setting("hold", Durations.format(c.hold))
          .setting("waitMs", c.waitMs)
          .setting("requestTimeout", Durations.format(c.requestTimeout))
          .setting("maxDuration", Durations.format(c.maxDuration));
      environment(report);
    }

    Duration remaining() {
      return Duration.ofNanos(Math.max(0, deadlineNs - System.nanoTime()));
    }

    private Duration bounded(Duration d) {
      Duration r = remaining();
      return d.compareTo(r) < 0 ? d : r;
    }

    RunResult rateRun(
        LoadDriver.Endpoint e, double rate, Duration duration, long maxCount, Duration warmup) {
      String label = String.format(Locale.ROOT, "rate %.0f/s", rate);
      if (!warmup.isZero() && remaining().compareTo(warmup) > 0) {
        driver.runRate(e, label + " (warm-up)", rate, warmup, Long.MAX_VALUE);
      }
      RunResult r = driver.runRate(e, label, rate, bounded(duration), maxCount);
      record(r);
      return r;
    }

    RunResult burstRun(LoadDriver.Endpoint e, int count, int warmups, Duration timeout)
        throws Exception {
      for (int w = 0; w < warmups; w++) {
        driver.runBurst(
            e, "burst " + count + " (warm-up " + (w + 1) + ")", count, bounded(timeout));
        refill(e);
      }
      RunResult r = driver.runBurst(e, "burst " + count, count, bounded(timeout));
      record(r);
      refill(e);
      return r;
    }

    private void refill(LoadDriver.Endpoint e) throws Exception {
      if (!e.claimApi() || expectedReadyPerPool == 0) return;
      if (!driver.awaitReady(e, expectedReadyPerPool, bounded(Duration.ofSeconds(60)))) {
        report.note(
            "the pools had not refilled to "
                + expectedReadyPerPool
                + " ready sandboxes within 60 s");
      }
    }

    double findMax(LoadDriver.Endpoint e, FindMax f) throws Exception {
      if (!f.warmup.isZero())
        driver.runRate(e, "warm-up", f.startRate, bounded(f.warmup), Long.MAX_VALUE);
      double best = 0;
      for (double rate = f.startRate; rate <= f.maxRate; rate = Math.ceil(rate * f.growth)) {
        if (remaining().compareTo(f.stepDuration) < 0) {
          report.note(
              e.target()
                  + ": stopped stepping at "
                  + Math.round(rate)
                  + "/s: --max-duration reached");
          break;
        }
        RunResult r =
            driver.runRate(
                e,
                String.format(Locale.ROOT, "rate %.0f/s", rate),
                rate,
                f.stepDuration,
                Long.MAX_VALUE);
        String verdict = f.verdict(r);
        report.step(new Report.Step(r, verdict == null, verdict == null ? "sustained" : verdict));
        report.run(r);
        if (verdict != null) break;
        best = rate;
        refill(e);
      }
      return best;
    }

    private void record(RunResult r) {
      report.run(r);
      if (r.target().equals("claims") && r.errorCount() > 0) errors = true;
    }

    boolean anyErrors() {
      return errors;
    }

    void finishReport() throws Exception {
      double slo = mode instanceof FindMax f ? f.slo.toNanos() / 1e6 : 0;
      List<Path> files = ReportWriter.write(report, resultsDir, slo);
      System.err.println();
      for (RunResult r : report.runs()) {
        System.err.printf(
            Locale.ROOT,
            "%-8s %-22s sent %,9d  ok %,9d  errors %,6d  %,10.0f ok/s  p50 %8.3f ms  p99 %8.3f ms  max %8.3f ms%s%n",
            r.target(),
            r.label(),
            r.attempted(),
            r.ok(),
            r.errorCount(),
            r.achievedRate(),
            r.percentileMs(50),
            r.percentileMs(99),
            r.maxMs(),
            r.timeToAllOkNs() >= 0
                ? String.format(Locale.ROOT, "  all ok in %.1f ms", r.timeToAllOkNs() / 1e6)
                : "");
        if (!r.errors().isEmpty()) System.err.println("         errors: " + r.errors());
      }
      report.headline().forEach((k, v) -> System.err.println("  " + k + ": " + v));
      report.ratios().forEach((k, v) -> System.err.printf(Locale.ROOT, "  %s: %.3f%n", k, v));
      System.err.println(
          "report: "
              + resultsDir.resolve(ReportWriter.HTML)
              + " ("
              + files.size()
              + " files in "
              + resultsDir
              + ")");
    }

    @Override
    public void close() throws Exception {
      Exception first = null;
      for (AutoCloseable c : new AutoCloseable[] {driver, bareServer, embedded}) {
        if (c == null) continue;
        try {
          c.close();
        } catch (Exception e) {
          if (first == null) first = e;
        }
      }
      if (first != null) throw first;
    }
  }

  /**
   * {@code benchmarks/results/<timestamp>} from the repository root, {@code results/<timestamp>}
   * elsewhere.
   */
  static Path defaultResultsDir() {
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Path benchmarks = Path.of("benchmarks");
    boolean atRoot = Files.isRegularFile(benchmarks.resolve("pom.xml"));
    return (atRoot ? benchmarks.resolve("results") : Path.of("results")).resolve(stamp);
  }

  static void environment(Report report) {
    report
        .environment("cpus", Runtime.getRuntime().availableProcessors())
        .environment(
            "os",
            System.getProperty("os.name")
                + " "
                + System.getProperty("os.version")
                + " "
                + System.getProperty("os.arch"))
        .environment(
            "jvm",
            System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"))
        .environment(
            "jvmArgs", String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()))
        .environment("maxHeapMiB", Runtime.getRuntime().maxMemory() >> 20)
        .environment("gitCommit", gitCommit());
  }

  static String gitCommit() {
    try {
      Process p =
          new ProcessBuilder("git", "rev-parse", "--short", "HEAD")
              .redirectErrorStream(true)
              .start();
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroy();
        return "unknown";
      }
      String out = new String(p.getInputStream().readAllBytes()).trim();
      return p.exitValue() == 0 ? out : "unknown";
    } catch (Exception e) {
      return "unknown";
    }
  }

  /** Builds the command line (exposed for tests). */
  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new LoadHarness());
    cli.setParameterExceptionHandler(
        (ex, args) -> {
          System.err.println(ex.getMessage());
          System.err.println(
              "Run '"
                  + ex.getCommandLine().getCommandSpec().qualifiedName()
                  + " --help' for the options.");
          return EXIT_USAGE;
        });
    return cli;
  }

  public static void main(String[] args) {
    int rc = commandLine().execute(args);
    System.exit(rc);
  }
}
