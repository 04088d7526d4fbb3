package io.agentsandbox.bench.load;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.TimeUnit;

/** Where a run's report goes and the machine facts it records. */
final class RunEnvironment {
  private RunEnvironment() {}

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

  static void describe(Report report) {
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
}
