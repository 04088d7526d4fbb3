package io.agentsandbox.bench.sizing;

import io.agentsandbox.core.model.Autoscale;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.warmpool.TargetRule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Evaluates demand-driven pool sizing against static pools on generated traces, running the real
 * {@code warmpool} code in simulated time (see {@link SizingSimulator}). For each trace and runtime
 * class: the autoscaled pool, a static pool with the same mean idle stock, and a static pool sized
 * for the peak. Writes a Markdown table and one PNG per trace.
 */
@Command(
    name = "sizing-evaluation",
    mixinStandardHelpOptions = true,
    description =
        "Compare demand-driven warm-pool sizing with static pools on generated traces (simulated time).")
public final class SizingEvaluation implements Callable<Integer> {

  @Option(
      names = "--out",
      defaultValue = "benchmarks/results/sizing",
      description = "Output directory (default ${DEFAULT-VALUE}).")
  Path out;

  @Option(
      names = "--duration",
      defaultValue = "600",
      description = "Seconds of simulated time per trace (default ${DEFAULT-VALUE}).")
  double durationS;

  @Option(
      names = "--seed",
      defaultValue = "42",
      description = "Random seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--confidence",
      defaultValue = "0.99",
      description = "Autoscale confidence (default ${DEFAULT-VALUE}).")
  double confidence;

  static final List<SizingSimulator.Runtime> RUNTIMES =
      List.of(
          new SizingSimulator.Runtime("gvisor", RuntimeClass.GVISOR, 0.12),
          new SizingSimulator.Runtime("kata", RuntimeClass.of("kata-qemu"), 1.5));

  static List<Trace> traces(double d) {
    return List.of(
        Trace.steady(50, d),
        Trace.diurnal(5, 100, d),
        Trace.burst(20, 10, d / 3, 60, d),
        Trace.onOff(100, 2, 30, 60, d));
  }

  /** One row of the table. */
  record Row(
      Trace trace, SizingSimulator.Runtime runtime, SizingSimulator.Result result, int replicas) {}

  @Override
  public Integer call() throws IOException {
    Files.createDirectories(out);
    List<Row> rows = new ArrayList<>();
    int i = 0;
    for (Trace trace : traces(durationS)) {
      for (SizingSimulator.Runtime rt : RUNTIMES) {
        System.err.printf(
            "[%d/%d] %s on %s...%n",
            ++i, traces(durationS).size() * RUNTIMES.size(), trace.name(), rt.name());
        List<Row> group = evaluate(trace, rt);
        rows.addAll(group);
        plot(trace, rt, group);
      }
    }
    String table = table(rows);
    Files.writeString(out.resolve("sizing.md"), table);
    System.out.println(table);
    return 0;
  }

  List<Row> evaluate(Trace trace, SizingSimulator.Runtime rt) {
    Autoscale auto = new Autoscale(0, 100_000, confidence);
    // The autoscaled pool starts where an operator would put spec.replicas: the rule at the start
    // rate.
    int initial = TargetRule.poissonQuantile(trace.rate().applyAsDouble(0) * rt.p90S(), confidence);
    SizingSimulator.Result a =
        SizingSimulator.run("autoscaled", trace, rt, initial, auto, seed, 1.0);
    // Static pool of the same mean idle stock: the largest static size whose mean idle is no more.
    int lo = 0;
    int hi = (int) Math.ceil(trace.peakRate() * rt.p90S() * 4) + 10;
    SizingSimulator.Result best =
        SizingSimulator.run("static, same mean idle", trace, rt, 0, null, seed, 1.0);
    int bestR = 0;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      SizingSimulator.Result r =
          SizingSimulator.run("static, same mean idle", trace, rt, mid, null, seed, 1.0);
      if (r.meanIdle() <= a.meanIdle()) {
        best = r;
        bestR = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    int peakR = TargetRule.poissonQuantile(trace.peakRate() * rt.p90S(), confidence);
    SizingSimulator.Result peak =
        SizingSimulator.run("static, sized for peak", trace, rt, peakR, null, seed, 1.0);
    return List.of(
        new Row(trace, rt, a, -1),
        new Row(trace, rt, best, bestR),
        new Row(trace, rt, peak, peakR));
  }

  void plot(Trace trace, SizingSimulator.Runtime rt, List<Row> group) throws IOException {
    XYChart chart =
        new XYChartBuilder()
            .width(900)
            .height(420)
            .title(
                trace.description()
                    + " — "
                    + rt.name()
                    + " (median start "
                    + (int) (rt.medianLatencyS() * 1000)
                    + " ms)")
            .xAxisTitle("time (s)")
            .yAxisTitle("idle ready sandboxes")
            .build();
    chart.getStyler().setMarkerSize(0);
    chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNW);
    for (Row r : group) {
      XYSeries s = chart.addSeries(label(r), r.result().timeS(), r.result().idleSeries());
      s.setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
    }
    double[] t = group.get(0).result().timeS();
    double[] demand = new double[t.length];
    for (int k = 0; k < t.length; k++) demand[k] = trace.rate().applyAsDouble(t[k]) * rt.p90S();
    chart
        .addSeries("demand x p90 lead time", t, demand)
        .setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
    BitmapEncoder.saveBitmap(
        chart,
        out.resolve("sizing-" + trace.name() + "-" + rt.name()).toString(),
        BitmapEncoder.BitmapFormat.PNG);
  }

  private static String label(Row r) {
    return r.replicas() < 0 ? r.result().policy() : r.result().policy() + " (" + r.replicas() + ")";
  }

  static String table(List<Row> rows) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        "| trace | runtime | pool | warm hits | cold starts | mean idle | peak idle | idle sandbox-s | mean idle ÷ (rate × p90 lead) |\n");
    sb.append("|---|---|---|---:|---:|---:|---:|---:|---:|\n");
    for (Row r : rows) {
      var res = r.result();
      double meanRate = res.claims() / (r.trace().durationS() - SizingSimulator.WARMUP_S);
      sb.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s | %.2f %% | %d | %.1f | %d | %.0f | %.2f |%n",
              r.trace().name(),
              r.runtime().name(),
              label(r),
              100 * res.hitRatio(),
              res.coldStarts(),
              res.meanIdle(),
              res.peakIdle(),
              res.idleSandboxSeconds(),
              res.meanIdle() / (meanRate * r.runtime().p90S())));
    }
    return sb.toString();
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new SizingEvaluation()).execute(args));
  }
}
