package io.agentsandbox.bench.load;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/** What a mode does once its targets are up. */
abstract class Mode implements Callable<Integer> {
  @Mixin CommonOptions common;
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
      return LoadHarness.EXIT_USAGE;
    }
    try (Session s = Session.open(this)) {
      run(s);
      s.finishReport();
      return common.failOnErrors && s.anyErrors() ? LoadHarness.EXIT_ERRORS : LoadHarness.EXIT_OK;
    } catch (IllegalArgumentException e) {
      System.err.println("cannot run: " + e.getMessage());
      return LoadHarness.EXIT_FAILED;
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
}
