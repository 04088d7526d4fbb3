package io.agentsandbox.scheduler.backend.local;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.SandboxBlueprint;
import io.agentsandbox.core.port.ProvisionListener;
import java.nio.file.Path;

/**
 * One sandbox of this backend. Its PIDs and {@code process} are written by the lifecycle worker
 * that starts it (or by recovery, before it is published) and read by any thread; {@link
 * #destroyed} is guarded by the object's monitor, which also serialises writes to its directory.
 */
final class LocalSandbox {
  final String id;
  final PoolKey pool;
  final String name;
  final LocalRuntime runtime;
  final SandboxBlueprint blueprint;
  final ProvisionListener listener;
  final Path dir;
  final Path workspace;

  // Any thread (published)
  volatile boolean deleteRequested;
  volatile boolean ready;
  volatile boolean dead;

  /** Set when its claim ended: a binding is no longer written for it. */
  volatile boolean released;

  volatile Process process;
  volatile long outerPid;
  volatile long outerStart;
  volatile long initPid;
  volatile long initStart;

  /**
   * The secret of its in-sandbox agent, or null when it runs without one (execs then go through the
   * runtime). Set before it is published.
   */
  volatile String agentSecret;

  // Guarded by this
  boolean destroyed;

  LocalSandbox(
      PoolKey pool,
      String name,
      LocalRuntime runtime,
      SandboxBlueprint blueprint,
      ProvisionListener listener,
      Path dir) {
    this.id = SandboxMeta.idOf(pool, name);
    this.pool = pool;
    this.name = name;
    this.runtime = runtime;
    this.blueprint = blueprint;
    this.listener = listener;
    this.dir = dir;
    this.workspace = dir.resolve("workspace");
  }

  /** A sandbox of a previous run, as its metadata describes it. */
  static LocalSandbox of(SandboxMeta m, ProvisionListener listener, Path dir) {
    LocalSandbox sb =
        new LocalSandbox(m.pool(), m.name(), m.runtime(), m.blueprint(), listener, dir);
    sb.outerPid = m.outerPid();
    sb.outerStart = m.outerStart();
    sb.initPid = m.initPid();
    sb.initStart = m.initStart();
    return sb;
  }

  SandboxMeta meta() {
    return new SandboxMeta(
        pool, name, runtime, blueprint, outerPid, outerStart, initPid, initStart);
  }
}
