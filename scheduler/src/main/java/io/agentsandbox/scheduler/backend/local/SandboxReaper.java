package io.agentsandbox.scheduler.backend.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Kills a sandbox's processes and removes its state: runsc's container, the PID namespace's init
 * and the runtime's process (each only if it is still the one started), then its directory.
 * Stateless; lifecycle workers only (blocking, up to about 30 s).
 */
final class SandboxReaper {

  private final Runsc runsc;
  private final SandboxCgroup group;

  SandboxReaper(Runsc runsc, SandboxCgroup group) {
    this.runsc = runsc;
    this.group = group;
  }

  /** Kills and removes a sandbox known to this run. */
  void kill(LocalSandbox sb) {
    kill(sb.id, sb.runtime, sb.initPid, sb.initStart, sb.outerPid, sb.outerStart, sb.dir);
  }

  /** Kills and removes whatever a sandbox directory left by a previous run describes. */
  void reap(Path dir) {
    Properties meta;
    try {
      meta = SandboxStore.readMetaProperties(dir);
    } catch (IOException e) {
      meta = new Properties(); // no meta: nothing was started
    }
    kill(
        dir.getFileName().toString(),
        LocalRuntime.parse(meta.getProperty("runtime", "bwrap")),
        lenientLong(meta, "initPid"),
        lenientLong(meta, "initStart"),
        lenientLong(meta, "outerPid"),
        lenientLong(meta, "outerStart"),
        dir);
  }

  private void kill(
      String id,
      LocalRuntime runtime,
      long initPid,
      long initStart,
      long outerPid,
      long outerStart,
      Path dir) {
    if (runtime == LocalRuntime.GVISOR
        || runsc.hasState(id)
        || Files.exists(dir.resolve("bundle"))) {
      runsc.deleteForce(id);
    }
    // bwrap: SIGKILL to the namespace's init ends every process in the sandbox's PID namespace.
    Procs.killIfSame(initPid, initStart);
    Procs.killIfSame(outerPid, outerStart);
    // Whatever escaped the trees above (a daemonised process) is still in the group.
    group.remove(id);
    SandboxStore.deleteTree(dir);
  }

  private static long lenientLong(Properties p, String key) {
    try {
      return MetaCodec.longOf(p, key);
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
