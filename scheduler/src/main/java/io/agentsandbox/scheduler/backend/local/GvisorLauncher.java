package io.agentsandbox.scheduler.backend.local;

import io.agentsandbox.core.model.ExecResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts gVisor sandboxes: an OCI bundle ({@link OciSpec}) in the sandbox's directory, then {@code
 * runsc run -detach}. When runsc cannot apply cgroup limits here, it falls back to {@code
 * --ignore-cgroups} for this and every later sandbox, and says so once. Thread-safe (the fallback
 * flag is atomic); lifecycle workers only.
 */
final class GvisorLauncher implements SandboxLauncher {

  private static final Logger LOG = LoggerFactory.getLogger(GvisorLauncher.class);

  private final Runsc runsc;
  private final SandboxStore store;
  private final AtomicBoolean cgroups;
  private final SandboxCgroup group;

  /**
   * @param cgroups whether to let runsc apply limits in cgroups at first (only as root)
   */
  GvisorLauncher(Runsc runsc, SandboxStore store, boolean cgroups, SandboxCgroup group) {
    this.runsc = runsc;
    this.group = group;
    this.store = store;
    this.cgroups = new AtomicBoolean(cgroups);
  }

  @Override
  public void start(LocalSandbox sb, LaunchSpec spec, HostRoot host) throws IOException {
    Path bundle = sb.dir.resolve("bundle");
    Files.createDirectories(bundle);
    Files.writeString(bundle.resolve("config.json"), OciSpec.json(spec, host));
    Path pidFile = sb.dir.resolve("runsc.pid");
    SandboxLimits limits =
        group
            .limitsOf(spec.memoryBytes(), spec.cpuMillis())
            .withPidsAtLeast(SandboxLimits.GVISOR_MIN_HOST_THREADS);
    if (!group.create(sb.id, limits).isEmpty()) {
      // runsc started inside the sandbox's own group: sentry, gofer and their children inherit it.
      ExecResult r =
          runsc.runDetached(
              sb.id, bundle, pidFile, spec.runtimeLog(), false, argv -> group.join(sb.id, argv));
      checkStarted(r, spec);
      recordPid(sb, pidFile);
      return;
    }
    boolean limited = cgroups.get() && (spec.cpuMillis() > 0 || spec.memoryBytes() > 0);
    ExecResult r = runsc.runDetached(sb.id, bundle, pidFile, spec.runtimeLog(), limited);
    if (r.exitCode() != 0 && limited) {
      if (cgroups.compareAndSet(true, false)) {
        LOG.warn(
            "runsc could not apply cgroup limits ({}); gVisor sandboxes now start with"
                + " --ignore-cgroups: CPU/memory limits are NOT enforced",
            Text.firstLine(r.stderr()));
      }
      runsc.deleteForce(sb.id);
      r = runsc.runDetached(sb.id, bundle, pidFile, spec.runtimeLog(), false);
    }
    checkStarted(r, spec);
    recordPid(sb, pidFile);
  }

  private static void checkStarted(ExecResult r, LaunchSpec spec) throws IOException {
    if (r.exitCode() != 0) {
      throw new IOException(
          "runsc run failed (exit "
              + r.exitCode()
              + "): "
              + Text.firstLine(r.stderr())
              + " "
              + Text.tail(spec.runtimeLog()));
    }
  }

  private void recordPid(LocalSandbox sb, Path pidFile) throws IOException {
    String pid = Files.exists(pidFile) ? Files.readString(pidFile).trim() : "";
    if (!pid.isEmpty()) {
      sb.outerPid = Long.parseLong(pid);
      sb.outerStart = Procs.startTimeOf(sb.outerPid);
      store.writeMeta(sb.dir, sb.meta());
    }
  }

  @Override
  public String exitedWhileStarting(LocalSandbox sb) {
    return null;
  }

  @Override
  public boolean canExec(LocalSandbox sb) {
    return true;
  }
}
