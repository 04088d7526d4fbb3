package io.agentsandbox.scheduler.backend.local;

import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxBlueprint;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Launch specs and host roots for the pure builders' tests. */
final class LaunchFixtures {
  private LaunchFixtures() {}

  static final Path DIR = Path.of("/var/lib/agent-sandbox/sandboxes/default_sb-1");

  static final HostRoot HOST =
      new HostRoot(
          List.of(
              HostRoot.Entry.symlink("bin", "usr/bin"),
              new HostRoot.Entry("boot", null, true),
              HostRoot.Entry.dir("etc"),
              HostRoot.Entry.dir("home"),
              HostRoot.Entry.symlink("lib", "usr/lib"),
              HostRoot.Entry.dir("opt"),
              HostRoot.Entry.dir("root"),
              HostRoot.Entry.dir("usr"),
              HostRoot.Entry.dir("var"),
              new HostRoot.Entry("vmlinuz", null, false)));

  static SandboxBlueprint blueprint(long cpuMillis, long memoryBytes) {
    return new SandboxBlueprint(
        "python",
        RuntimeClass.GVISOR,
        "",
        List.of("/bin/sh", "-c"),
        List.of("sleep 1000"),
        Map.of("MODE", "test"),
        cpuMillis,
        memoryBytes);
  }

  static LaunchSpec spec(boolean root, Path maskedStateDir, List<SandboxInit.Bind> binds) {
    SandboxBlueprint bp = blueprint(500, 256L << 20);
    return new LaunchSpec(
        "default_sb-1",
        SandboxEnv.hostname("sb-1"),
        DIR,
        DIR.resolve("workspace"),
        Path.of("/var/lib/agent-sandbox/rootfs"),
        maskedStateDir,
        SandboxInit.WORKLOAD.argv(bp),
        SandboxEnv.base(bp),
        binds,
        root,
        bp.cpuMillis(),
        bp.memoryBytes(),
        "/agent-sandbox/default_sb-1");
  }
}
