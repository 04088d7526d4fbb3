package io.agentsandbox.bench.load;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a {@link Report} into a results directory: {@code report.json}, {@code report.html}
 * (tables and the plots, embedded), the plots as PNG, and each run's latency distribution in
 * HdrHistogram's text format ({@code .hgrm}). Stateless.
 */
public final class ReportWriter {
  private ReportWriter() {}

  public static final String JSON = "report.json";
  public static final String HTML = "report.html";
  public static final String LATENCY_PNG = "latency-over-time.png";
  public static final String PERCENTILES_PNG = "percentiles.png";
  public static final String FIND_MAX_PNG = "find-max.png";

  /** Writes every file; returns the paths written. */
  public static List<Path> write(Report report, Path dir, double sloMs) throws IOException {
    Files.createDirectories(dir);
    List<Path> written = new ArrayList<>();
    List<RunResult> plotted = report.runs();
    byte[] overTime =
        Charts.latencyOverTime(
            report.mode() + ": latency over time (from intended send time)", plotted);
    byte[] percentiles = Charts.percentiles(report.mode() + ": latency by percentile", plotted);
    written.add(write(dir.resolve(LATENCY_PNG), overTime));
    written.add(write(dir.resolve(PERCENTILES_PNG), percentiles));
    byte[] findMax = null;
    if (!report.steps().isEmpty()) {
      findMax = Charts.findMax("find-max: p99 by offered rate", report.steps(), sloMs);
      written.add(write(dir.resolve(FIND_MAX_PNG), findMax));
    }
    int i = 0;
    for (RunResult r : report.runs())
      written.add(
          writeHgrm(dir.resolve(String.format(Locale.ROOT, "%02d-%s.hgrm", ++i, r.target())), r));
    written.add(
        write(dir.resolve(JSON), toJson(report).encodePrettily().getBytes(StandardCharsets.UTF_8)));
    written.add(
        write(
            dir.resolve(HTML),
            toHtml(report, overTime, percentiles, findMax).getBytes(StandardCharsets.UTF_8)));
    return written;
  }

  private static Path write(Path p, byte[] bytes) throws IOException {
    Files.write(p, bytes);
    return p;
  }

  private static Path writeHgrm(Path p, RunResult r) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8)) {
      ps.println("# " + r.target() + " " + r.label() + ": latency from intended send time, in ms");
      if (r.latencyNs().getTotalCount() > 0) r.latencyNs().outputPercentileDistribution(ps, 5, 1e6);
    }
    return write(p, out.toByteArray());
  }

  // ---------------------------------------------------------------- JSON

  public static JsonObject toJson(Report report) {
    JsonObject o =
        new JsonObject()
            .put("tool", "agent-sandbox load harness")
            .put("mode", report.mode)
            .put("startedAt", report.startedAt)
            .put("headline", new JsonObject(new java.util.LinkedHashMap<>(report.headline)))
            .put("ratios", ratios(report))
            .put("settings", new JsonObject(new java.util.LinkedHashMap<>(report.settings)))
            .put("environment", new JsonObject(new java.util.LinkedHashMap<>(report.environment)));
    JsonArray runs = new JsonArray();
    for (RunResult r : report.runs) runs.add(run(r));
    o.put("runs", runs);
    if (!report.steps.isEmpty()) {
      JsonArray steps = new JsonArray();
      for (Report.Step s : report.steps) {
        steps.add(
            new JsonObject()
                .put("target", s.run().target())
                .put("offeredRate", s.run().offeredRate())
                .put("achievedRate", round(s.run().achievedRate()))
                .put("p50Ms", round(s.run().percentileMs(50)))
                .put("p99Ms", round(s.run().percentileMs(99)))
                .put("errors", s.run().errorCount())
                .put("sustained", s.sustained())
                .put("verdict", s.verdict()));
      }
      o.put("findMaxSteps", steps);
    }
    o.put("notes", new JsonArray(new ArrayList<>(report.notes)));
    return o;
  }

  private static JsonObject ratios(Report report) {
    JsonObject o = new JsonObject();
    report.ratios.forEach((k, v) -> o.put(k, round(v)));
    return o;
  }

  static JsonObject run(RunResult r) {
    JsonObject latency =
        new JsonObject()
            .put("count", r.latencyNs().getTotalCount())
            .put("p50", round(r.percentileMs(50)))
            .put("p90", round(r.percentileMs(90)))
            .put("p99", round(r.percentileMs(99)))
            .put("p999", round(r.percentileMs(99.9)))
            .put("max", round(r.maxMs()))
            .put("mean", round(r.meanMs()));
    JsonArray intervals = new JsonArray();
    for (LatencyLog.Interval iv : r.intervals()) {
      intervals.add(
          new JsonObject()
              .put("atSeconds", round(iv.atSeconds()))
              .put("ok", iv.ok())
              .put("errors", iv.errors())
              .put("p50Ms", round(iv.p50Ms()))
              .put("p90Ms", round(iv.p90Ms()))
              .put("p99Ms", round(iv.p99Ms()))
              .put("maxMs", round(iv.maxMs())));
    }
    JsonObject errors = new JsonObject();
    r.errors().forEach(errors::put);
    JsonObject o =
        new JsonObject()
            .put("target", r.target())
            .put("label", r.label())
            .put("offeredRate", r.offeredRate())
            .put("attempted", r.attempted())
            .put("ok", r.ok())
            .put("errors", errors)
            .put("errorCount", r.errorCount())
            .put("releaseErrors", r.releaseErrors())
            .put("durationMs", round(r.durationNs() / 1e6))
            .put("achievedRate", round(r.achievedRate()));
    if (r.timeToAllOkNs() >= 0) o.put("timeToAllOkMs", round(r.timeToAllOkNs() / 1e6));
    return o.put("latencyMs", latency).put("intervals", intervals);
  }

  static double round(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) return 0;
    return Math.round(v * 1000.0) / 1000.0;
  }

  // ---------------------------------------------------------------- HTML

  static String toHtml(Report report, byte[] overTime, byte[] percentiles, byte[] findMax) {
    StringBuilder h = new StringBuilder(64 * 1024);
    h.append(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>load harness: ")
        .append(esc(report.mode))
        .append(" ")
        .append(esc(report.startedAt))
        .append("</title>\n<style>")
        .append(
            "body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}")
        .append(
            "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f4f4f4}td.l,th.l{text-align:left}")
        .append(
            "img{max-width:100%;border:1px solid #ddd}code{background:#f4f4f4;padding:1px 4px}</style></head><body>\n");
    h.append("<h1>Load harness: ")
        .append(esc(report.mode))
        .append("</h1>\n<p>Started ")
        .append(esc(report.startedAt))
        .append(
            ". Latency is measured from each request's <em>intended</em> send time (no coordinated omission).</p>\n");
    if (!report.headline.isEmpty()) h.append("<h2>Headline</h2>\n").append(table(report.headline));
    if (!report.ratios.isEmpty()) {
      h.append(
          "<h2>Claims ÷ bare Vert.x endpoint</h2>\n<table><tr><th class=l>ratio</th><th>value</th></tr>\n");
      report.ratios.forEach(
          (k, v) ->
              h.append("<tr><td class=l>")
                  .append(esc(k))
                  .append("</td><td>")
                  .append(String.format(Locale.ROOT, "%.3f", v))
                  .append("</td></tr>\n"));
      h.append("</table>\n");
    }
    h.append(
            "<h2>Runs</h2>\n<table><tr><th class=l>target</th><th class=l>run</th><th>offered/s</th><th>sent</th><th>ok</th>")
        .append(
            "<th>errors</th><th>achieved/s</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th>")
        .append("<th>all ok in ms</th><th class=l>errors by kind</th></tr>\n");
    for (RunResult r : report.runs) {
      h.append("<tr><td class=l>")
          .append(esc(r.target()))
          .append("</td><td class=l>")
          .append(esc(r.label()))
          .append("</td>")
          .append(td(r.offeredRate(), 0))
          .append(td(r.attempted(), 0))
          .append(td(r.ok(), 0))
          .append(td(r.errorCount(), 0))
          .append(td(r.achievedRate(), 0))
          .append(td(r.percentileMs(50), 3))
          .append(td(r.percentileMs(90), 3))
          .append(td(r.percentileMs(99), 3))
          .append(td(r.percentileMs(99.9), 3))
          .append(td(r.maxMs(), 3))
          .append(r.timeToAllOkNs() >= 0 ? td(r.timeToAllOkNs() / 1e6, 1) : "<td>-</td>")
          .append("<td class=l>")
          .append(esc(r.errors().isEmpty() ? "-" : r.errors().toString()))
          .append("</td></tr>\n");
    }
    h.append("</table>\n");
    if (!report.steps.isEmpty()) {
      h.append(
              "<h2>find-max steps</h2>\n<table><tr><th class=l>target</th><th>offered/s</th><th>achieved/s</th><th>p99 ms</th>")
          .append("<th>errors</th><th class=l>verdict</th></tr>\n");
      for (Report.Step s : report.steps) {
        h.append("<tr><td class=l>")
            .append(esc(s.run().target()))
            .append("</td>")
            .append(td(s.run().offeredRate(), 0))
            .append(td(s.run().achievedRate(), 0))
            .append(td(s.run().percentileMs(99), 3))
            .append(td(s.run().errorCount(), 0))
            .append("<td class=l>")
            .append(esc(s.verdict()))
            .append("</td></tr>\n");
      }
      h.append("</table>\n");
    }
    h.append("<h2>Latency over time</h2>\n").append(img(overTime, LATENCY_PNG));
    h.append("<h2>Latency by percentile</h2>\n").append(img(percentiles, PERCENTILES_PNG));
    if (findMax != null) h.append("<h2>find-max</h2>\n").append(img(findMax, FIND_MAX_PNG));
    if (!report.notes.isEmpty()) {
      h.append("<h2>Notes</h2>\n<ul>\n");
      for (String n : report.notes) h.append("<li>").append(esc(n)).append("</li>\n");
      h.append("</ul>\n");
    }
    h.append("<h2>Settings</h2>\n").append(table(report.settings));
    h.append("<h2>Environment</h2>\n").append(table(report.environment));
    h.append("<p>Raw data: <a href=\"")
        .append(JSON)
        .append("\">")
        .append(JSON)
        .append("</a>, <code>*.hgrm</code> (HdrHistogram).</p>\n");
    return h.append("</body></html>\n").toString();
  }

  private static String table(Map<String, Object> m) {
    StringBuilder t = new StringBuilder("<table>\n");
    m.forEach(
        (k, v) ->
            t.append("<tr><th class=l>")
                .append(esc(k))
                .append("</th><td class=l>")
                .append(esc(String.valueOf(v)))
                .append("</td></tr>\n"));
    return t.append("</table>\n").toString();
  }

  private static String td(double v, int decimals) {
    return "<td>" + String.format(Locale.ROOT, "%,." + decimals + "f", v) + "</td>";
  }

  private static String img(byte[] png, String file) {
    return "<p><a href=\""
        + file
        + "\"><img alt=\""
        + file
        + "\" src=\"data:image/png;base64,"
        + Base64.getEncoder().encodeToString(png)
        + "\"></a></p>\n";
  }

  static String esc(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
