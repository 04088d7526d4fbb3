package io.agentsandbox.bench.load;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
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
      RateMode.class,
      BurstMode.class,
      FindMaxMode.class,
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
