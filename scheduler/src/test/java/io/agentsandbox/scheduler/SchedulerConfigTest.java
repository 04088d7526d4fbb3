package io.agentsandbox.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentsandbox.core.model.RuntimeClass;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

class SchedulerConfigTest {

  @Test
  void shouldValidateDefaultsWhenNoFlagIsGiven() {
    SchedulerConfig config =
        Main.parseConfig(
            "--port",
            "8080",
            "--backend",
            "simulated",
            "--shards",
            "0",
            "--http-instances",
            "0",
            "--max-body-bytes",
            "65536");

    assertThat(config.validate()).isSameAs(config);
    assertThat(config.shards()).isEqualTo(Math.max(1, Runtime.getRuntime().availableProcessors()));
    assertThat(config.httpInstances()).isEqualTo(config.shards());
    assertThat(config.maxBodyBytes()).isEqualTo(SchedulerConfig.MAX_BODY_BYTES);
    assertThat(Main.parseConfig().validate()).isNotNull();
  }

  @Test
  void shouldParseSimulatedLatencyPerRuntimeClass() {
    SchedulerConfig config =
        Main.parseConfig("--simulated-latency", "gvisor=100,kata=1500ms,default=300,*=500");

    assertThat(config.simulatedLatencyMs(RuntimeClass.GVISOR)).isEqualTo(100);
    assertThat(config.simulatedLatencyMs(RuntimeClass.of("kata-qemu"))).isEqualTo(1_500);
    assertThat(config.simulatedLatencyMs(RuntimeClass.DEFAULT)).isEqualTo(300);
    assertThat(config.simulatedLatencyMs(RuntimeClass.of("runsc-debug"))).isEqualTo(500);
  }

  @Test
  void shouldTakeFlagsWhenGiven() {
    SchedulerConfig config =
        Main.parseConfig(
            "--port",
            "0",
            "--pools-dir",
            "/tmp/pools",
            "--shards",
            "3",
            "--default-wait-ms",
            "0",
            "--max-wait-ms",
            "100");
    assertThat(config.port()).isZero();
    assertThat(config.poolsDir().toString()).isEqualTo("/tmp/pools");
    assertThat(config.shards()).isEqualTo(3);
    assertThat(config.defaultWaitMs()).isZero();
    assertThat(config.maxWaitMs()).isEqualTo(100);
  }

  @Test
  void shouldUseOneShardPerCpuWhenShardsIsZero() {
    // 0 is the documented "number of CPUs" default, so it is not an error.
    assertThat(Main.parseConfig("--shards", "0").shards())
        .isEqualTo(Math.max(1, Runtime.getRuntime().availableProcessors()));
  }

  static Stream<Arguments> invalidFlags() {
    return Stream.of(
        Arguments.of(new String[] {"--port", "70000"}, "--port"),
        Arguments.of(new String[] {"--port", "-1"}, "--port"),
        Arguments.of(new String[] {"--port", "eighty"}, "--port"),
        Arguments.of(new String[] {"--shards", "-1"}, "--shards"),
        Arguments.of(new String[] {"--shards", "257"}, "--shards"),
        Arguments.of(new String[] {"--default-wait-ms", "300001"}, "--default-wait-ms"),
        Arguments.of(
            new String[] {"--default-wait-ms", "200", "--max-wait-ms", "100"}, "--default-wait-ms"),
        Arguments.of(new String[] {"--default-ttl-seconds", "-1"}, "--default-ttl-seconds"),
        Arguments.of(new String[] {"--backend", "foo"}, "--backend"),
        Arguments.of(new String[] {"--simulated-latency", "garbage"}, "--simulated-latency"),
        Arguments.of(new String[] {"--simulated-latency", "gvisor=fast"}, "--simulated-latency"),
        Arguments.of(new String[] {"--simulated-latency", "gvisor=-5"}, "--simulated-latency"),
        Arguments.of(new String[] {"--simulated-failure-rate", "1.5"}, "--simulated-failure-rate"),
        Arguments.of(new String[] {"--max-body-bytes", "10"}, "--max-body-bytes"),
        Arguments.of(new String[] {"--tick-ms", "0"}, "--tick-ms"),
        Arguments.of(new String[] {"--claim-queue-capacity", "1"}, "--claim-queue-capacity"),
        Arguments.of(new String[] {"--host", ""}, "--host"),
        Arguments.of(new String[] {"--no-such-flag"}, "--no-such-flag"));
  }

  @ParameterizedTest(name = "{1}: {0}")
  @MethodSource("invalidFlags")
  void shouldThrowNamingFlagWhenValueIsInvalid(String[] args, String flag) {
    assertThatThrownBy(() -> Main.parseConfig(args))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(flag);
  }

  @Test
  void shouldListFlagsAndEnvironmentInUsage() {
    String usage = new CommandLine(new Main()).getUsageMessage();
    assertThat(usage)
        .contains("--pools-dir", "AGENT_SANDBOX_FOO_BAR", "--simulated-latency", "Default: 8080");
  }

  @Test
  void shouldReadEveryFlagFromItsEnvironmentVariableUnlessGiven() {
    java.util.Map<String, String> env =
        java.util.Map.of(
            "AGENT_SANDBOX_POOLS_DIR", "/srv/pools",
            "AGENT_SANDBOX_PORT", "9000",
            "AGENT_SANDBOX_LEASE_NAMESPACE", "ops");
    Main main = new Main();
    CommandLine cli = new CommandLine(main);
    cli.setDefaultValueProvider(new io.agentsandbox.scheduler.cli.EnvDefaults(env::get));
    cli.parseArgs("--port", "9001");
    ServerContext ctx = main.toContext().conclude();
    assertThat(ctx.server().poolsDir()).isEqualTo(java.nio.file.Path.of("/srv/pools"));
    assertThat(ctx.server().port()).isEqualTo(9001);
    assertThat(ctx.kubernetes().leaseNamespace()).isEqualTo("ops");
    assertThat(ctx.server().tickMs()).isEqualTo(SchedulerConfig.DEFAULT_TICK_MS);
  }
}
