package io.agentsandbox.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Common JMH settings of every benchmark here (JMH inherits class-level annotations): one fork with
 * a fixed 1 GiB heap, 3 × 1 s warm-up, 5 × 1 s measurement, average time in ns. A benchmark
 * overrides what it measures differently (the shard round trip samples latencies).
 *
 * <p>These are the settings of a documented "real" run (see {@code benchmarks/RESULTS.md}); the CI
 * smoke pass overrides them from the command line ({@code benchmarks/smoke.sh}).
 */
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public abstract class BenchmarkBase {

  /**
   * Runs one benchmark class from an IDE or {@code main}, with the GC profiler (allocation is a
   * result here: {@code gc.alloc.rate.norm}). Extra JMH command-line options may be passed, e.g.
   * {@code -p poolSize=16 -f 1}.
   */
  protected static void run(Class<?> benchmark, String... args) throws RunnerException {
    ChainedOptionsBuilder options;
    try {
      options = new OptionsBuilder().parent(new CommandLineOptions(args));
    } catch (CommandLineOptionException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    new Runner(
            options
                .include("\\." + benchmark.getSimpleName() + "\\.")
                .addProfiler(GCProfiler.class)
                .build())
        .run();
  }
}
