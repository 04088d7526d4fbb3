package io.agentsandbox.bench.load;

import java.awt.Color;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.HistogramIterationValue;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** PNG plots of a report (XChart, headless). Stateless. */
public final class Charts {
  private Charts() {}

  static {
    System.setProperty("java.awt.headless", "true");
  }

  private static final int WIDTH = 960;
  private static final int HEIGHT = 520;

  /** The percentile plot stops at this many nines (99.9999 %). */
  private static final double MAX_NINES = 6;

  private static XYChart chart(String title, String x, String y) {
    XYChart c =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title(title)
            .xAxisTitle(x)
            .yAxisTitle(y)
            .build();
    Styler s = c.getStyler();
    s.setLegendPosition(Styler.LegendPosition.InsideNW);
    s.setChartBackgroundColor(Color.WHITE);
    s.setMarkerSize(5);
    return c;
  }

  /** p50 / p99 / max latency per interval, every run on one plot; y logarithmic. */
  public static byte[] latencyOverTime(String title, List<RunResult> runs) throws IOException {
    XYChart c = chart(title, "seconds since the run started", "latency (ms, log)");
    c.getStyler().setYAxisLogarithmic(true);
    boolean any = false;
    for (RunResult r : runs) {
      any |= add(c, r.target() + " " + r.label() + " p50", r.intervals(), 50);
      any |= add(c, r.target() + " " + r.label() + " p99", r.intervals(), 99);
      any |= add(c, r.target() + " " + r.label() + " max", r.intervals(), 100);
    }
    if (!any) placeholder(c);
    return BitmapEncoder.getBitmapBytes(c, BitmapEncoder.BitmapFormat.PNG);
  }

  private static boolean add(
      XYChart c, String name, List<LatencyLog.Interval> intervals, int which) {
    List<Double> xs = new ArrayList<>();
    List<Double> ys = new ArrayList<>();
    for (LatencyLog.Interval iv : intervals) {
      if (iv.ok() == 0) continue;
      double v = which == 50 ? iv.p50Ms() : which == 99 ? iv.p99Ms() : iv.maxMs();
      xs.add(iv.atSeconds());
      ys.add(Math.max(v, 0.001));
    }
    if (xs.isEmpty()) return false;
    XYSeries s = c.addSeries(name, xs, ys);
    s.setMarker(SeriesMarkers.CIRCLE);
    return true;
  }

  /**
   * Latency by percentile (x in "nines": 90 %, 99 %, 99.9 % ...), one line per run; y logarithmic.
   */
  public static byte[] percentiles(String title, List<RunResult> runs) throws IOException {
    XYChart c = chart(title, "percentile", "latency (ms, log)");
    c.getStyler().setYAxisLogarithmic(true);
    c.getStyler().setxAxisTickLabelsFormattingFunction(Charts::ninesLabel);
    boolean any = false;
    for (RunResult r : runs) {
      if (r.latencyNs().getTotalCount() == 0) continue;
      List<Double> xs = new ArrayList<>();
      List<Double> ys = new ArrayList<>();
      for (HistogramIterationValue v : r.latencyNs().percentiles(5)) {
        double p = v.getPercentileLevelIteratedTo();
        if (p >= 100) break;
        double nines = -Math.log10(1 - p / 100.0);
        if (nines > MAX_NINES) break;
        xs.add(nines);
        ys.add(Math.max(v.getValueIteratedTo() / 1e6, 0.001));
      }
      xs.add(Math.min(MAX_NINES, -Math.log10(1.0 / (r.latencyNs().getTotalCount() + 1))));
      ys.add(Math.max(r.maxMs(), 0.001));
      XYSeries s = c.addSeries(r.target() + " " + r.label(), xs, ys);
      s.setMarker(SeriesMarkers.NONE);
      any = true;
    }
    if (!any) placeholder(c);
    return BitmapEncoder.getBitmapBytes(c, BitmapEncoder.BitmapFormat.PNG);
  }

  /** {@code find-max}: p99 latency per offered rate, one line per target; y logarithmic. */
  public static byte[] findMax(String title, List<Report.Step> steps, double sloMs)
      throws IOException {
    XYChart c = chart(title, "offered rate (requests/s)", "p99 latency (ms, log)");
    c.getStyler().setYAxisLogarithmic(true);
    List<String> targets = new ArrayList<>();
    for (Report.Step s : steps)
      if (!targets.contains(s.run().target())) targets.add(s.run().target());
    double maxRate = 1;
    for (String t : targets) {
      List<Double> xs = new ArrayList<>();
      List<Double> ys = new ArrayList<>();
      for (Report.Step s : steps) {
        if (!s.run().target().equals(t) || s.run().ok() == 0) continue;
        xs.add(s.run().offeredRate());
        ys.add(Math.max(s.run().percentileMs(99), 0.001));
        maxRate = Math.max(maxRate, s.run().offeredRate());
      }
      if (!xs.isEmpty()) c.addSeries(t + " p99", xs, ys).setMarker(SeriesMarkers.CIRCLE);
    }
    if (sloMs > 0 && c.getSeriesMap().size() > 0) {
      c.addSeries("SLO " + sloMs + " ms", new double[] {0, maxRate}, new double[] {sloMs, sloMs})
          .setMarker(SeriesMarkers.NONE);
    }
    if (c.getSeriesMap().isEmpty()) placeholder(c);
    return BitmapEncoder.getBitmapBytes(c, BitmapEncoder.BitmapFormat.PNG);
  }

  private static void placeholder(XYChart c) {
    c.getStyler().setYAxisLogarithmic(false);
    c.addSeries("no successful request", new double[] {0}, new double[] {0});
  }

  /** 0 → "0%", 1 → "90%", 2 → "99%", 3 → "99.9%". */
  static String ninesLabel(double nines) {
    double p = 100 * (1 - Math.pow(10, -nines));
    if (p < 99) return String.format(Locale.ROOT, "%.0f%%", p);
    int decimals = (int) Math.max(1, Math.ceil(nines - 2 - 1e-9));
    return String.format(Locale.ROOT, "%." + decimals + "f%%", p);
  }
}
