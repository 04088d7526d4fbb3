package io.agentsandbox.scheduler.backend.local;

import io.agentsandbox.core.model.ExecResult;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The {@code runsc} command line on the backend's runsc root. Stateless; any worker thread. */
final class Runsc {

  static final long DELETE_TIMEOUT_MS = 30_000;

  private static final Logger LOG = LoggerFactory.getLogger(Runsc.class);

  private final String runsc;
  private final Path root;
  private final ProcessRunner runner;
  private final boolean hostUds;

  /**
   * @param hostUds pass {@code --host-uds=all} to {@code runsc run}: the in-sandbox agent listens
   *     on a unix socket in a bind-mounted host directory, which gVisor allows only with {@code
   *     all} (which also lets sandbox processes connect to any host socket visible through their
   *     mounts: see {@link HostRoot} for why none is)
   */
  Runsc(String runsc, Path root, ProcessRunner runner, boolean hostUds) {
    this.runsc = runsc;
    this.root = root;
    this.runner = runner;
    this.hostUds = hostUds;
  }

  Path root() {
    return root;
  }

  /** True when runsc has state for container {@code id}. */
  boolean hasState(String id) {
    return java.nio.file.Files.exists(root.resolve(id + ".state"));
  }

  /**
   * {@code runsc run -detach}: starts the container from {@code bundle}, its output appended to
   * {@code log}. Blocking.
   */
  ExecResult runDetached(String id, Path bundle, Path pidFile, Path log, boolean cgroups)
      throws IOException {
    return runDetached(
        id, bundle, pidFile, log, cgroups, java.util.function.UnaryOperator.identity());
  }

  /** Like the above, with runsc's argv passed through {@code wrap} (e.g. to join a cgroup). */
  ExecResult runDetached(
      String id,
      Path bundle,
      Path pidFile,
      Path log,
      boolean cgroups,
      java.util.function.UnaryOperator<List<String>> wrap)
      throws IOException {
    List<String> cmd = new ArrayList<>(List.of(runsc, "--root", root.toString(), "--network=none"));
    if (!cgroups) cmd.add("--ignore-cgroups");
    if (hostUds) cmd.add("--host-uds=all");
    cmd.addAll(
        List.of(
            "run", "-detach", "-pid-file", pidFile.toString(), "-bundle", bundle.toString(), id));
    // The detached sandbox keeps runsc's stdout/stderr: send them to a log, not to our pipes.
    List<String> sh =
        new ArrayList<>(List.of("/bin/sh", "-c", "exec \"$@\" >>\"$0\" 2>&1", log.toString()));
    sh.addAll(wrap.apply(cmd));
    return runner.run(sh, null, SandboxEnv.host(), 8_192, 60_000);
  }

  /**
   * {@code runsc delete -force}: kills the container and drops its state. Blocking; logs failures.
   */
  void deleteForce(String id) {
    try {
      runner.run(
          List.of(runsc, "--root", root.toString(), "delete", "-force", id),
          null,
          SandboxEnv.host(),
          4_096,
          DELETE_TIMEOUT_MS);
    } catch (IOException e) {
      LOG.warn("runsc delete {} failed: {}", id, e.getMessage());
    }
  }
}
