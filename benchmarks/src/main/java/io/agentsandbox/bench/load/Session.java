package io.agentsandbox.bench.load;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The targets, the driver and the report of one invocation. Main thread only. */
final class Session implements AutoCloseable {
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
    this.resultsDir =
        mode.common.results != null ? mode.common.results : RunEnvironment.defaultResultsDir();
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
    CommonOptions c = mode.common;
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
    RunEnvironment.describe(report);
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
      driver.runBurst(e, "burst " + count + " (warm-up " + (w + 1) + ")", count, bounded(timeout));
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
          "the pools had not refilled to " + expectedReadyPerPool + " ready sandboxes within 60 s");
    }
  }

  double findMax(LoadDriver.Endpoint e, FindMaxMode f) throws Exception {
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
    double slo = mode instanceof FindMaxMode f ? f.slo.toNanos() / 1e6 : 0;
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
