package io.agentsandbox.scheduler.backend.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OciSpecTest {

  private static final Path STATE = Path.of("/var/lib/agent-sandbox");

  private static JsonNode parse(LaunchSpec spec) throws Exception {
    return new ObjectMapper().readTree(OciSpec.json(spec, LaunchFixtures.HOST));
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  @Test
  void shouldRunTheInitAsTheSandboxUserInTheWorkspaceOnAReadOnlyRoot() throws Exception {
    JsonNode spec = parse(LaunchFixtures.spec(true, STATE, List.of()));
    assertThat(spec.path("ociVersion").asText()).isEqualTo("1.0.0");
    JsonNode process = spec.path("process");
    assertThat(process.path("terminal").asBoolean(true)).isFalse();
    assertThat(process.path("user").path("uid").asInt()).isEqualTo(65534);
    assertThat(process.path("user").path("gid").asInt()).isEqualTo(65534);
    assertThat(texts(process.path("args"))).containsExactly("/bin/sh", "-c", "sleep 1000");
    assertThat(texts(process.path("env")))
        .containsExactly(
            "PATH=" + SandboxEnv.PATH_ENV, "HOME=/workspace", "LANG=C.UTF-8", "MODE=test");
    assertThat(process.path("cwd").asText()).isEqualTo("/workspace");
    assertThat(spec.path("root").path("path").asText()).isEqualTo("/var/lib/agent-sandbox/rootfs");
    assertThat(spec.path("root").path("readonly").asBoolean()).isTrue();
    assertThat(spec.path("hostname").asText()).isEqualTo("sb-1");
  }

  @Test
  void shouldRunAsUidZeroInsideWhenTheServerIsNotRoot() throws Exception {
    JsonNode user = parse(LaunchFixtures.spec(false, null, List.of())).path("process").path("user");
    assertThat(user.path("uid").asInt(-1)).isZero();
    assertThat(user.path("gid").asInt(-1)).isZero();
  }

  @Test
  void shouldMountSystemDirsReadOnlyTmpPrivateHostVarEmptyAndWorkspaceWritable() throws Exception {
    JsonNode mounts = parse(LaunchFixtures.spec(true, STATE, List.of())).path("mounts");
    List<String> lines = new ArrayList<>();
    for (JsonNode m : mounts) {
      lines.add(
          m.path("destination").asText()
              + " "
              + m.path("type").asText()
              + " "
              + m.path("source").asText()
              + " "
              + texts(m.path("options")));
    }
    assertThat(lines)
        .containsExactly(
            "/proc proc proc []",
            "/tmp tmpfs tmpfs [nosuid, nodev, mode=1777]",
            "/etc bind /etc [rbind, ro]",
            "/opt bind /opt [rbind, ro]",
            "/usr bind /usr [rbind, ro]",
            "/var tmpfs tmpfs [nosuid, nodev, mode=755]",
            "/workspace bind " + LaunchFixtures.DIR.resolve("workspace") + " [rbind, rw]");
  }

  @Test
  void shouldAddTheInitsBindsAfterTheWorkspace() throws Exception {
    var agent = new SandboxInit.Bind(Path.of("/opt/agent/agent"), "/.agent/agent", true);
    var socket = new SandboxInit.Bind(LaunchFixtures.DIR.resolve("run"), "/.agent/run", false);
    JsonNode mounts = parse(LaunchFixtures.spec(true, null, List.of(agent, socket))).path("mounts");
    JsonNode last = mounts.get(mounts.size() - 1);
    JsonNode beforeLast = mounts.get(mounts.size() - 2);
    assertThat(beforeLast.path("destination").asText()).isEqualTo("/.agent/agent");
    assertThat(texts(beforeLast.path("options"))).containsExactly("rbind", "ro");
    assertThat(last.path("source").asText())
        .isEqualTo(LaunchFixtures.DIR.resolve("run").toString());
    assertThat(texts(last.path("options"))).containsExactly("rbind", "rw");
  }

  @Test
  void shouldIsolateNamespacesAndCarryLimitsAndCgroup() throws Exception {
    JsonNode linux = parse(LaunchFixtures.spec(true, null, List.of())).path("linux");
    List<String> ns = new ArrayList<>();
    linux.path("namespaces").forEach(n -> ns.add(n.path("type").asText()));
    assertThat(ns).containsExactly("pid", "network", "ipc", "uts", "mount");
    assertThat(linux.path("cgroupsPath").asText()).isEqualTo("/agent-sandbox/default_sb-1");
    assertThat(linux.path("resources").path("memory").path("limit").asLong()).isEqualTo(256L << 20);
    assertThat(linux.path("resources").path("cpu").path("period").asLong()).isEqualTo(100_000);
    assertThat(linux.path("resources").path("cpu").path("quota").asLong()).isEqualTo(50_000);
  }

  @Test
  void shouldOmitLimitsTheTemplateDoesNotSetAndEscapeStrings() throws Exception {
    var bp = LaunchFixtures.blueprint(0, 0);
    LaunchSpec base = LaunchFixtures.spec(false, null, List.of());
    LaunchSpec spec =
        new LaunchSpec(
            base.id(),
            base.hostname(),
            base.dir(),
            base.workspace(),
            base.rootfs(),
            null,
            List.of("/bin/echo", "a \"quoted\"\nline\\"),
            base.env(),
            List.of(),
            false,
            bp.cpuMillis(),
            bp.memoryBytes(),
            base.cgroupsPath());
    JsonNode parsed = parse(spec);
    assertThat(parsed.path("linux").path("resources").size()).isZero();
    assertThat(texts(parsed.path("process").path("args")))
        .containsExactly("/bin/echo", "a \"quoted\"\nline\\");
  }
}
