package io.agentsandbox.scheduler.backend.local;

import io.agentsandbox.core.model.ExecRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Builds the host command that runs one {@link ExecRequest} inside a running sandbox: {@code runsc
 * exec} for gVisor, {@code nsenter} into the init's namespaces then {@code setpriv} for bubblewrap;
 * either way under {@code timeout -s KILL}. Pure; immutable.
 *
 * @param runsc the runsc binary
 * @param runscRoot runsc's {@code --root}
 * @param nsenter the nsenter binary
 * @param setpriv the setpriv binary
 * @param root true when the server runs as root (gVisor execs then run as the sandbox user)
 */
record ExecArgv(String runsc, Path runscRoot, String nsenter, String setpriv, boolean root) {

  /** The probe run until a new sandbox answers, and on a kept one at restart. */
  static final ExecRequest PROBE = new ExecRequest(List.of("true"), null, null, null, 5_000);

  /**
   * @param runtime the sandbox's runtime
   * @param id the sandbox's id (the runsc container)
   * @param initPid the PID of the sandbox's init on the host (bubblewrap)
   * @param sandboxEnv the sandbox's environment ({@link SandboxEnv#base})
   */
  List<String> build(
      LocalRuntime runtime,
      String id,
      long initPid,
      Map<String, String> sandboxEnv,
      ExecRequest request) {
    Map<String, String> env = new LinkedHashMap<>(sandboxEnv);
    env.putAll(request.env());
    List<String> cmd = new ArrayList<>();
    if (runtime == LocalRuntime.GVISOR) {
      cmd.addAll(
          List.of(runsc, "--root", runscRoot.toString(), "exec", "--cwd", request.workdir()));
      if (root) {
        cmd.addAll(List.of("--user", SandboxEnv.SANDBOX_UID + ":" + SandboxEnv.SANDBOX_UID));
      }
      env.forEach((k, v) -> cmd.addAll(List.of("--env", k + "=" + v)));
      cmd.add(id);
    } else {
      cmd.addAll(
          List.of(
              nsenter,
              "-t",
              Long.toString(initPid),
              "-U",
              "-m",
              "-p",
              "-n",
              "-i",
              "-u",
              "-r",
              "--",
              setpriv,
              "--no-new-privs",
              "--bounding-set=-all",
              "--inh-caps=-all",
              "env",
              "-i"));
      env.forEach((k, v) -> cmd.add(k + "=" + v));
      // nsenter's --wd leaves a cwd that getcwd() cannot name inside the new root: cd after
      // entering.
      cmd.addAll(
          List.of("/bin/sh", "-c", "cd -- \"$0\" || exit 125; exec \"$@\"", request.workdir()));
    }
    cmd.addAll(timeout(request.timeoutMs()));
    cmd.addAll(request.command());
    return cmd;
  }

  private static List<String> timeout(long ms) {
    return List.of("timeout", "-s", "KILL", String.format(Locale.ROOT, "%.3f", ms / 1000.0));
  }
}
