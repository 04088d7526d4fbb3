package io.agentsandbox.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report files, from synthetic runs; no network, no server. */
class ReportWriterTest {

  /** A run with {@code n} latencies 1..n ms recorded in one-second intervals of 100. */
  private static RunResult run(String target, int n, long errors) {
    long start = 1_000_000_000L;
    LatencyLog log = new LatencyLog(start);
    for (int i = 1; i <= n; i++) {
      log.ok(i * 1_000_000L, start + i * 10_000_000L);
      if (i % 100 == 0) log.sample(start + i * 10_000_000L);
    }
    for (long e = 0; e < errors; e++) log.error("HTTP 503", start + n * 10_000_000L);
    log.sample(start + (n + 1) * 10_000_000L);
    return new RunResult(
        target,
        "rate 100/s",
        100,
        n + errors,
        log.okCount(),
        log.errors(),
        0,
        n * 10_000_000L,
        n * 10_000_000L,
        -1,
        log.total(),
        log.intervals());
  }

  @Test
  void shouldKeepPercentilesAndIntervalsOfTheRecordedLatencies() {
    RunResult r = run("claims", 1_000, 0);
    assertThat(r.ok()).isEqualTo(1_000);
    assertThat(r.percentileMs(50)).isBetween(499.0, 501.0);
    assertThat(r.percentileMs(99)).isBetween(989.0, 991.0);
    assertThat(r.intervals()).hasSize(11);
    assertThat(r.intervals().get(0).ok()).isEqualTo(100);
    assertThat(r.intervals().get(0).maxMs()).isBetween(99.9, 100.1);
    assertThat(r.achievedRate()).isEqualTo(100.0);
  }

  @Test
  void shouldCountErrorsByKind() {
    RunResult r = run("claims", 10, 3);
    assertThat(r.errors()).containsEntry("HTTP 503", 3L);
    assertThat(r.errorCount()).isEqualTo(3);
    assertThat(r.intervals().get(r.intervals().size() - 1).errors()).isEqualTo(3);
  }

  @Test
  void shouldWriteJsonHtmlPngAndHgrm(@TempDir Path dir) throws Exception {
    RunResult claims = run("claims", 1_000, 2);
    RunResult bare = run("baseline", 1_000, 0);
    Report report =
        new Report("rate", "2025-01-01T00:00:00Z")
            .setting("rate", 100.0)
            .environment("cpus", 2)
            .run(claims)
            .run(bare)
            .ratio("p99 latency (claims ÷ bare)", claims.percentileMs(99), bare.percentileMs(99))
            .ratio("skipped", 1, 0)
            .headline("claims p99 ms", 990.0)
            .note("a <note> & more");
    List<Path> files = ReportWriter.write(report, dir.resolve("out"), 0);

    assertThat(files)
        .extracting(p -> p.getFileName().toString())
        .contains(
            "report.json",
            "report.html",
            "latency-over-time.png",
            "percentiles.png",
            "01-claims.hgrm",
            "02-baseline.hgrm")
        .doesNotContain("find-max.png");
    for (String png : List.of("latency-over-time.png", "percentiles.png")) {
      byte[] bytes = Files.readAllBytes(dir.resolve("out").resolve(png));
      assertThat(bytes.length).isGreaterThan(1_000);
      assertThat(bytes).startsWith(0x89, 'P', 'N', 'G');
    }
    JsonObject json = new JsonObject(Files.readString(dir.resolve("out/report.json")));
    assertThat(json.getString("mode")).isEqualTo("rate");
    assertThat(json.getJsonObject("ratios").getDouble("p99 latency (claims ÷ bare)"))
        .isEqualTo(1.0);
    assertThat(json.getJsonObject("ratios").containsKey("skipped")).isFalse();
    JsonObject first = json.getJsonArray("runs").getJsonObject(0);
    assertThat(first.getString("target")).isEqualTo("claims");
    assertThat(first.getLong("ok")).isEqualTo(1_000);
    assertThat(first.getJsonObject("errors").getLong("HTTP 503")).isEqualTo(2);
    assertThat(first.getJsonObject("latencyMs").getDouble("p99")).isBetween(989.0, 991.0);
    assertThat(first.getJsonArray("intervals")).hasSize(11);
    String html = Files.readString(dir.resolve("out/report.html"));
    assertThat(html)
        .contains(
            "data:image/png;base64,", "claims ÷ bare", "a &lt;note&gt; &amp; more", "HTTP 503");
    assertThat(Files.readString(dir.resolve("out/01-claims.hgrm")))
        .contains("Value", "Percentile", "#[Mean");
  }

  @Test
  void shouldPlotFindMaxStepsAndSurviveRunsWithoutSuccesses(@TempDir Path dir) throws Exception {
    RunResult empty =
        new RunResult(
            "claims",
            "rate 5/s",
            5,
            5,
            0,
            java.util.Map.of("timeout", 5L),
            0,
            0,
            0,
            -1,
            new Histogram(3),
            List.of());
    RunResult ok = run("claims", 200, 0);
    Report report =
        new Report("find-max", "now")
            .run(ok)
            .step(new Report.Step(ok, true, "sustained"))
            .run(empty)
            .step(new Report.Step(empty, false, "errors"));
    List<Path> files = ReportWriter.write(report, dir, 10);
    assertThat(files).extracting(p -> p.getFileName().toString()).contains("find-max.png");
    assertThat(
            new JsonObject(Files.readString(dir.resolve("report.json")))
                .getJsonArray("findMaxSteps"))
        .hasSize(2);
  }

  @Test
  void shouldLabelPercentileAxisInNines() {
    assertThat(Charts.ninesLabel(0)).isEqualTo("0%");
    assertThat(Charts.ninesLabel(1)).isEqualTo("90%");
    assertThat(Charts.ninesLabel(3)).isEqualTo("99.9%");
    assertThat(Charts.ninesLabel(4)).isEqualTo("99.99%");
  }
}
