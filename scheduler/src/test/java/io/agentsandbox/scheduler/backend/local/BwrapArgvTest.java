package io.agentsandbox.scheduler.backend.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class BwrapArgvTest {

  private static final Path INFO = LaunchFixtures.DIR.resolve("bwrap-info.json");

  private static List<String> argv(boolean root, Path mask, List<SandboxInit.Bind> binds) {
    return BwrapArgv.build(
        LaunchFixtures.spec(root, mask, binds),
        LaunchFixtures.HOST,
        "/usr/bin/bwrap",
        "setpriv",
        INFO);
  }

  @Test
  void shouldOpenTheInfoFileThenDropToTheSandboxUserThenUnshareEverything() {
    List<String> a = argv(true, null, List.of());
    assertThat(a.subList(0, 4))
        .containsExactly("/bin/sh", "-c", "exec 3>\"$0\"; exec \"$@\"", INFO.toString());
    assertThat(a.subList(4, 8))
        .containsExactly("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups");
    assertThat(a.subList(8, 25))
        .containsExactly(
            "/usr/bin/bwrap",
            "--unshare-user",
            "--uid",
            "0",
            "--gid",
            "0",
            "--unshare-pid",
            "--unshare-net",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--hostname",
            "sb-1",
            "--new-session",
            "--info-fd",
            "3",
            "--symlink");
  }

  @Test
  void shouldNotDropPrivilegesWhenTheServerIsNotRoot() {
    assertThat(argv(false, null, List.of()))
        .doesNotContain("setpriv")
        .element(4)
        .isEqualTo("/usr/bin/bwrap");
  }

  @Test
  void shouldBindSystemDirsReadOnlyRecreateSymlinksAndLeaveTheRestOut() {
    String a = String.join(" ", argv(true, null, List.of()));
    assertThat(a)
        .contains(
            "--symlink usr/bin /bin --ro-bind /etc /etc --symlink usr/lib /lib"
                + " --ro-bind /opt /opt --ro-bind /usr /usr --ro-bind /var /var"
                + " --dev /dev --proc /proc --size "
                + SandboxLimits.tmpBytesOf(LaunchFixtures.spec(true, null, List.of()).memoryBytes())
                + " --tmpfs /tmp --bind "
                + LaunchFixtures.DIR.resolve("workspace")
                + " /workspace --remount-ro / --chdir /workspace --clearenv");
    assertThat(a).doesNotContain("/home", "/root", "/boot", "vmlinuz");
  }

  @Test
  void shouldMaskTheStateDirAndAddTheInitsBinds() {
    var agent = new SandboxInit.Bind(Path.of("/opt/agent/agent"), "/.agent/agent", true);
    var socket = new SandboxInit.Bind(LaunchFixtures.DIR.resolve("run"), "/.agent/run", false);
    String a =
        String.join(" ", argv(true, Path.of("/var/lib/agent-sandbox"), List.of(agent, socket)));
    assertThat(a).contains("--tmpfs /tmp --tmpfs /var/lib/agent-sandbox --bind ");
    assertThat(a)
        .contains(
            "/workspace --ro-bind /opt/agent/agent /.agent/agent --bind "
                + LaunchFixtures.DIR.resolve("run")
                + " /.agent/run --remount-ro /");
  }

  @Test
  void shouldSetTheSandboxEnvironmentAndEndWithTheInitArgv() {
    List<String> a = argv(true, null, List.of());
    int clear = a.indexOf("--clearenv");
    assertThat(a.subList(clear + 1, a.size()))
        .containsExactly(
            "--setenv",
            "PATH",
            SandboxEnv.PATH_ENV,
            "--setenv",
            "HOME",
            "/workspace",
            "--setenv",
            "LANG",
            "C.UTF-8",
            "--setenv",
            "MODE",
            "test",
            "/bin/sh",
            "-c",
            "sleep 1000");
    assertThat(Collections.frequency(a, "--setenv")).isEqualTo(4);
  }
}
