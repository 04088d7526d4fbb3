package io.agentsandbox.scheduler.backend.local;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What this host offers the local backend: the binaries' paths and, per runtime, why it cannot be
 * used (null when it can). Found once at start-up by running small probes. Immutable.
 *
 * @param runsc path of runsc (or the configured name when not found)
 * @param bwrap path of bwrap
 * @param nsenter path of nsenter (util-linux), used to exec into bubblewrap sandboxes
 * @param setpriv path of setpriv (util-linux), used to drop privileges
 * @param root true when the server runs as uid 0
 * @param gvisorReason why gVisor cannot be used, or null
 * @param bwrapReason why bubblewrap cannot be used, or null
 */
public record HostProbe(
    String runsc,
    String bwrap,
    String nsenter,
    String setpriv,
    boolean root,
    String gvisorReason,
    String bwrapReason) {

  static final String INSTALL_HINT =
      "install it with scripts/install-runtimes.sh (as root: apt-get install -y runsc bubblewrap)";

  /** Probes the host. Blocking (runs {@code bwrap} once): never on an event loop. */
  static HostProbe run(LocalBackendConfig config) {
    boolean root = uid() == 0;
    String runsc = which(config.runscPath());
    String bwrap = which(config.bwrapPath());
    String nsenter = which("nsenter");
    String setpriv = which("setpriv");
    String timeout = which("timeout");
    String gvisor = null;
    if (runsc == null) gvisor = "runsc not found (" + config.runscPath() + "); " + INSTALL_HINT;
    else if (!root)
      gvisor =
          "runsc needs root here (the server runs as uid "
              + uid()
              + "); run as root or map gvisor to bubblewrap with --runtime-map gvisor=bwrap";
    else if (timeout == null) gvisor = "coreutils 'timeout' not found on PATH";
    else if (!runs(List.of(runsc, "--version"))) gvisor = runsc + " --version failed";
    String bw = null;
    if (bwrap == null) bw = "bwrap not found (" + config.bwrapPath() + "); " + INSTALL_HINT;
    else if (nsenter == null || setpriv == null || timeout == null)
      bw = "nsenter, setpriv (util-linux) and timeout (coreutils) are needed on PATH";
    else {
      List<String> probe = new java.util.ArrayList<>();
      if (root)
        probe.addAll(
            List.of(
                setpriv,
                "--reuid=" + SandboxEnv.SANDBOX_UID,
                "--regid=" + SandboxEnv.SANDBOX_UID,
                "--clear-groups"));
      probe.addAll(
          List.of(
              bwrap,
              "--unshare-user",
              "--unshare-pid",
              "--unshare-net",
              "--unshare-ipc",
              "--unshare-uts",
              "--ro-bind",
              "/",
              "/",
              "--proc",
              "/proc",
              "--dev",
              "/dev",
              "true"));
      if (!runs(probe)) {
        bw =
            "bwrap cannot create namespaces here (unprivileged user namespaces disabled? check sysctl kernel.unprivileged_userns_clone / user.max_user_namespaces)";
      }
    }
    return new HostProbe(
        runsc == null ? config.runscPath() : runsc,
        bwrap == null ? config.bwrapPath() : bwrap,
        nsenter == null ? "nsenter" : nsenter,
        setpriv == null ? "setpriv" : setpriv,
        root,
        gvisor,
        bw);
  }

  /** One line for the start-up log. */
  public String describe() {
    return "gvisor: "
        + (gvisorReason == null ? "usable (" + runsc + ")" : "NOT usable: " + gvisorReason)
        + "; bwrap: "
        + (bwrapReason == null ? "usable (" + bwrap + ")" : "NOT usable: " + bwrapReason);
  }

  static int uid() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:"))
          return Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return -1;
  }

  /** An absolute path if executable, else looked up on PATH; null when not found. */
  static String which(String name) {
    if (name.contains("/")) return new File(name).canExecute() ? name : null;
    String path = System.getenv("PATH");
    if (path == null || path.isEmpty()) path = SandboxEnv.PATH_ENV;
    for (String dir : (path + ":" + SandboxEnv.PATH_ENV).split(":")) {
      if (dir.isEmpty()) continue;
      File f = new File(dir, name);
      if (f.isFile() && f.canExecute()) return f.getAbsolutePath();
    }
    return null;
  }

  private static boolean runs(List<String> command) {
    try {
      Process p =
          new ProcessBuilder(command)
              .redirectInput(new File("/dev/null"))
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      return p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
