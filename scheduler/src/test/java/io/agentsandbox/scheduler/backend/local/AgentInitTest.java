package io.agentsandbox.scheduler.backend.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxBlueprint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent as a sandbox's init: its argv, its binds and the per-sandbox secret's files. */
class AgentInitTest {

  @TempDir Path tmp;

  private static SandboxBlueprint bp(List<String> command, List<String> args) {
    return new SandboxBlueprint("t", RuntimeClass.DEFAULT, "", command, args, Map.of(), 0, 0);
  }

  @Test
  void shouldWrapTheTemplatesCommand() {
    AgentInit init = new AgentInit(Path.of("/opt/a/agent-sandbox-agent"), 1000);
    List<String> argv = init.argv(bp(List.of("python3", "-m"), List.of("http.server")));
    assertThat(argv.get(0)).isEqualTo("/run/agent-bin/agent-sandbox-agent");
    assertThat(String.join(" ", argv))
        .contains("--listen unix:/run/agent/agent.sock")
        .contains("--secret-file /run/agent/agent.secret")
        .contains("--workspace /workspace")
        .contains("--max-output-bytes 1000")
        .endsWith(" -- python3 -m http.server");
    assertThat(init.argv(bp(List.of(), List.of()))).doesNotContain("--");
    assertThat(init.binds(Path.of("/s/sb")))
        .containsExactly(
            new SandboxInit.Bind(Path.of("/s/sb/run"), "/run/agent", false),
            new SandboxInit.Bind(Path.of("/opt/a"), "/run/agent-bin", true));
    assertThat(init.hasAgent()).isTrue();
    assertThat(SandboxInit.WORKLOAD.hasAgent()).isFalse();
  }

  @Test
  void shouldKeepTheServersCopyOfTheSecretPrivateAndDropTheAgentsCopy() throws Exception {
    String secret = AgentInit.prepare(tmp, -1);
    assertThat(secret).matches("[0-9a-f]{64}");
    assertThat(AgentInit.prepare(tmp.resolve("other"), -1)).isNotEqualTo(secret);
    Path mine = tmp.resolve("agent.secret");
    Path agents = tmp.resolve("run").resolve("agent.secret");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(mine)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(agents)))
        .isEqualTo("r--------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("run"))))
        .isEqualTo("rwx------");
    assertThat(Files.readString(agents)).isEqualTo(secret);
    AgentInit.forgetAgentCopy(tmp);
    assertThat(agents).doesNotExist();
    assertThat(AgentInit.readSecret(tmp)).isEqualTo(secret);
    assertThat(AgentInit.readSecret(tmp.resolve("none"))).isNull();
  }
}
