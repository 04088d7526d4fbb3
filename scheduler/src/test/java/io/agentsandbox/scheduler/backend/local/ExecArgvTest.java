package io.agentsandbox.scheduler.backend.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.ExecRequest;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExecArgvTest {

  private static final Path RUNSC_ROOT = Path.of("/state/runsc");

  private static final Map<String, String> ENV = new LinkedHashMap<>(Map.of("PATH", "/usr/bin"));

  private static final ExecRequest REQUEST =
      new ExecRequest(List.of("python3", "-V"), null, Map.of("X", "1"), "/workspace/src", 2_500);

  private static ExecArgv argv(boolean root) {
    return new ExecArgv("/usr/bin/runsc", RUNSC_ROOT, "/usr/bin/nsenter", "/usr/bin/setpriv", root);
  }

  @Test
  void shouldExecIntoAGvisorContainerAsTheSandboxUserUnderATimeout() {
    assertThat(argv(true).build(LocalRuntime.GVISOR, "default_sb-1", 0, ENV, REQUEST))
        .containsExactly(
            "/usr/bin/runsc",
            "--root",
            "/state/runsc",
            "exec",
            "--cwd",
            "/workspace/src",
            "--user",
            "65534:65534",
            "--env",
            "PATH=/usr/bin",
            "--env",
            "X=1",
            "default_sb-1",
            "timeout",
            "-s",
            "KILL",
            "2.500",
            "python3",
            "-V");
  }

  @Test
  void shouldKeepTheUserOfTheContainerWhenTheServerIsNotRoot() {
    assertThat(argv(false).build(LocalRuntime.GVISOR, "id", 0, ENV, REQUEST))
        .doesNotContain("--user");
  }

  @Test
  void shouldEnterTheBwrapInitsNamespacesDropCapabilitiesAndChangeDirectory() {
    assertThat(argv(true).build(LocalRuntime.BWRAP, "default_sb-1", 4242, ENV, REQUEST))
        .containsExactly(
            "/usr/bin/nsenter",
            "-t",
            "4242",
            "-U",
            "-m",
            "-p",
            "-n",
            "-i",
            "-u",
            "-r",
            "--",
            "/usr/bin/setpriv",
            "--no-new-privs",
            "--bounding-set=-all",
            "--inh-caps=-all",
            "env",
            "-i",
            "PATH=/usr/bin",
            "X=1",
            "/bin/sh",
            "-c",
            "cd -- \"$0\" || exit 125; exec \"$@\"",
            "/workspace/src",
            "timeout",
            "-s",
            "KILL",
            "2.500",
            "python3",
            "-V");
  }

  @Test
  void shouldLetTheRequestsEnvironmentOverrideTheSandboxs() {
    ExecRequest r = new ExecRequest(List.of("env"), null, Map.of("PATH", "/bin"), null, 1_000);
    assertThat(argv(true).build(LocalRuntime.BWRAP, "id", 7, ENV, r))
        .contains("PATH=/bin")
        .doesNotContain("PATH=/usr/bin");
  }

  @Test
  void shouldProbeWithTrue() {
    assertThat(ExecArgv.PROBE.command()).containsExactly("true");
  }
}
