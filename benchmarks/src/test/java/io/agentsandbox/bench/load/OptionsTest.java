package io.agentsandbox.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Argument parsing and validation of the harness; nothing is started. */
class OptionsTest {

  private static Mode parse(String... args) {
    CommandLine cli = LoadHarness.commandLine();
    CommandLine.ParseResult r = cli.parseArgs(args);
    return (Mode) r.subcommand().commandSpec().userObject();
  }

  private static List<String> problems(String... args) {
    return parse(args).problems();
  }

  @Test
  void shouldAcceptTheDocumentedExamples() {
    assertThat(problems("burst", "--embedded", "--baseline")).isEmpty();
    assertThat(problems("rate", "--embedded", "--baseline", "--rate", "20000", "--duration", "20s"))
        .isEmpty();
    assertThat(problems("find-max", "--embedded", "--baseline", "--slo", "50ms")).isEmpty();
    assertThat(
            problems(
                "rate",
                "--target",
                "http://127.0.0.1:8080",
                "--pool",
                "python-gvisor",
                "--rate",
                "200",
                "--hold",
                "1s"))
        .isEmpty();
  }

  @Test
  void shouldDefaultToATenThousandClaimBurst() {
    BurstMode b = (BurstMode) parse("burst", "--embedded");
    assertThat(b.count).isEqualTo(10_000);
    assertThat(b.replicasPerPool(2)).isEqualTo(5_000);
    assertThat(b.replicasPerPool(3)).isEqualTo(3_334);
  }

  @Test
  void shouldRefuseNonLoopbackTargetsBeforeStartingAnything() {
    assertThat(problems("rate", "--target", "http://10.1.2.3:8080"))
        .anySatisfy(p -> assertThat(p).contains("refusing to load 10.1.2.3"));
  }

  @Test
  void shouldRefuseEmbeddedWithATargetOrPools() {
    assertThat(problems("burst", "--embedded", "--target", "http://127.0.0.1:8080"))
        .contains("give either --embedded or --target, not both");
    assertThat(problems("burst", "--embedded", "--pool", "x"))
        .anySatisfy(p -> assertThat(p).contains("--pool is for an external --target"));
    assertThat(problems("burst", "--replicas", "10"))
        .contains("--shards and --replicas apply to --embedded only");
  }

  @Test
  void shouldNameEachOutOfRangeOption() {
    assertThat(problems("rate", "--embedded", "--rate", "0"))
        .anySatisfy(p -> assertThat(p).startsWith("--rate must be"));
    assertThat(problems("rate", "--embedded", "--duration", "10ms"))
        .anySatisfy(p -> assertThat(p).startsWith("--duration must be"));
    assertThat(problems("burst", "--embedded", "--count", "0"))
        .anySatisfy(p -> assertThat(p).startsWith("--count must be 1..1000000"));
    assertThat(problems("burst", "--embedded", "--connections", "0"))
        .anySatisfy(p -> assertThat(p).startsWith("--connections must be"));
    assertThat(problems("find-max", "--embedded", "--growth", "1"))
        .anySatisfy(p -> assertThat(p).startsWith("--growth must be"));
    assertThat(problems("find-max", "--embedded", "--start-rate", "5000", "--max-rate", "100"))
        .anySatisfy(p -> assertThat(p).startsWith("--max-rate must be"));
    assertThat(problems("find-max", "--embedded", "--max-error-rate", "1"))
        .anySatisfy(p -> assertThat(p).startsWith("--max-error-rate"));
    assertThat(problems("burst", "--embedded", "--pool", "Not_A_Pool")).isNotEmpty();
  }

  @Test
  void shouldParseDurationsWithUnitsOnly() {
    assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(Durations.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(Durations.parse("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1.5s");
    assertThat(Durations.format(Duration.ofSeconds(10))).isEqualTo("10s");
    assertThatThrownBy(() -> Durations.parse("10")).hasMessageContaining("write e.g. 500ms");
    assertThatThrownBy(() -> parse("rate", "--hold", "soon"))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining("'soon' is not a duration");
  }

  @Test
  void shouldExitWithUsageStatusOnBadOptionsAndZeroOnHelp() {
    CommandLine cli = LoadHarness.commandLine();
    StringWriter err = new StringWriter();
    cli.setErr(new PrintWriter(err));
    assertThat(cli.execute("burst", "--no-such-option")).isEqualTo(LoadHarness.EXIT_USAGE);
    assertThat(cli.execute("rate", "--target", "http://example.com:80"))
        .isEqualTo(LoadHarness.EXIT_USAGE);
    StringWriter out = new StringWriter();
    cli.setOut(new PrintWriter(out));
    assertThat(cli.execute("find-max", "--help")).isZero();
    assertThat(out.toString()).contains("--slo", "--baseline", "--embedded", "--target");
  }

  @Test
  void shouldSizeEmbeddedPoolsForTheRateAndHold() {
    assertThat(Mode.sizeForRate(1_000, Duration.ZERO, 2)).isEqualTo(1_050);
    assertThat(Mode.sizeForRate(10_000, Duration.ofSeconds(1), 2)).isEqualTo(11_000);
  }
}
