package io.agentsandbox.scheduler.backend.local;

import io.agentsandbox.core.model.ExecRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the host command that starts a bubblewrap sandbox: new user (mapped to uid 0), PID,
 * network, IPC, UTS and cgroup namespaces, the host's system directories read-only, a private
 * {@code /dev}, {@code /proc} and {@code /tmp}, the workspace read-write, then the init process.
 * Pure; stateless.
 */
final class BwrapArgv {
  private BwrapArgv() {}

  /**
   * @param bwrap the bwrap binary
   * @param setpriv the setpriv binary (drops to the sandbox user when the server runs as root)
   * @param infoFile where bwrap writes the PID of the namespace's init (its {@code --info-fd})
   */
  static List<String> build(
      LaunchSpec spec, HostRoot host, String bwrap, String setpriv, Path infoFile) {
    List<String> cmd = new ArrayList<>();
    // sh opens the info file as fd 3 (bwrap writes the namespace init's pid there), then becomes
    // bwrap.
    cmd.addAll(List.of("/bin/sh", "-c", "exec 3>\"$0\"; exec \"$@\"", infoFile.toString()));
    if (spec.dropToSandboxUser()) {
      cmd.addAll(
          List.of(
              setpriv,
              "--reuid=" + SandboxEnv.SANDBOX_UID,
              "--regid=" + SandboxEnv.SANDBOX_UID,
              "--clear-groups"));
    }
    cmd.addAll(
        List.of(
            bwrap,
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
            spec.hostname(),
            "--new-session",
            "--info-fd",
            "3"));
    for (HostRoot.Entry e : host.entries()) {
      if (e.isSymlink()) cmd.addAll(List.of("--symlink", e.symlinkTarget(), e.path()));
      else if (e.isSharedDir()) cmd.addAll(List.of("--ro-bind", e.path(), e.path()));
    }
    cmd.addAll(List.of("--dev", "/dev", "--proc", "/proc"));
    // A size-limited /tmp; its pages count in the sandbox's memory cgroup.
    long tmpBytes = SandboxLimits.tmpBytesOf(spec.memoryBytes());
    cmd.addAll(List.of("--size", Long.toString(tmpBytes), "--tmpfs", "/tmp"));
    if (spec.maskedStateDir() != null) {
      cmd.addAll(List.of("--tmpfs", spec.maskedStateDir().toString()));
    }
    cmd.addAll(List.of("--bind", spec.workspace().toString(), ExecRequest.WORKSPACE));
    for (SandboxInit.Bind b : spec.binds()) {
      cmd.addAll(
          List.of(b.readOnly() ? "--ro-bind" : "--bind", b.source().toString(), b.destination()));
    }
    cmd.addAll(List.of("--remount-ro", "/", "--chdir", ExecRequest.WORKSPACE, "--clearenv"));
    spec.env().forEach((k, v) -> cmd.addAll(List.of("--setenv", k, v)));
    cmd.addAll(spec.initArgv());
    return cmd;
  }
}
