package io.agentsandbox.scheduler.backend.local;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.SandboxBlueprint;
import io.agentsandbox.core.port.ProvisionListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates and deletes sandboxes: a create registers the sandbox and starts it on a {@code
 * local-runtime-<n>} worker (its launcher, then exec probes until one answers), a ready sandbox is
 * watched so that a death nobody asked for is reported failed and cleaned up, a delete destroys it
 * on a worker. Results reach the {@link ProvisionListener} from those workers. Thread-safe: {@link
 * #create} and {@link #delete} return at once from any thread.
 */
final class SandboxLifecycle {

  private static final Logger LOG = LoggerFactory.getLogger(SandboxLifecycle.class);

  private final LocalBackendConfig config;
  private final SandboxTable sandboxes;
  private final SandboxStore store;
  private final RuntimeMap runtimes;
  private final Map<LocalRuntime, SandboxLauncher> launchers;
  private final SandboxInit init;
  private final LocalExecutor executor;
  private final SandboxReaper reaper;
  private final ExecutorService workers;
  private final Path rootfs;
  private final Path maskedStateDir;
  private final boolean root;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Set<String> imageLogged = ConcurrentHashMap.newKeySet();
  private final SandboxCgroup group;

  SandboxLifecycle(
      LocalBackendConfig config,
      SandboxTable sandboxes,
      SandboxStore store,
      RuntimeMap runtimes,
      Map<LocalRuntime, SandboxLauncher> launchers,
      SandboxInit init,
      LocalExecutor executor,
      SandboxReaper reaper,
      ExecutorService workers,
      StateDir stateDir,
      boolean root,
      SandboxCgroup group) {
    this.group = group;
    this.config = config;
    this.sandboxes = sandboxes;
    this.store = store;
    this.runtimes = runtimes;
    this.launchers = Map.copyOf(launchers);
    this.init = init;
    this.executor = executor;
    this.reaper = reaper;
    this.workers = workers;
    this.rootfs = stateDir.rootfs();
    this.maskedStateDir = HostRoot.maskOf(stateDir.path());
    this.root = root;
  }

  void create(
      PoolKey pool, String sandboxName, SandboxBlueprint blueprint, ProvisionListener listener) {
    LocalRuntime runtime = runtimes.runtimeOf(blueprint.runtimeClass());
    LocalSandbox sb =
        new LocalSandbox(
            pool,
            sandboxName,
            runtime,
            blueprint,
            listener,
            store.dirOf(SandboxMeta.idOf(pool, sandboxName)));
    if (closed.get()) {
      listener.onSandboxFailed(pool, sandboxName, "the local backend is shut down");
      return;
    }
    if (!sandboxes.add(sb)) {
      listener.onSandboxFailed(pool, sandboxName, "a sandbox named " + sb.id + " already exists");
      return;
    }
    try {
      workers.execute(() -> start(sb));
    } catch (RejectedExecutionException e) {
      sandboxes.remove(sb);
      listener.onSandboxFailed(
          pool, sandboxName, "the local backend is overloaded (start queue full)");
    }
  }

  void delete(PoolKey pool, String sandboxName, ProvisionListener listener) {
    LocalSandbox sb = sandboxes.get(SandboxMeta.idOf(pool, sandboxName));
    if (sb == null) {
      listener.onSandboxDeleted(pool, sandboxName);
      return;
    }
    sb.deleteRequested = true;
    try {
      workers.execute(
          () -> {
            destroy(sb);
            listener.onSandboxDeleted(pool, sandboxName);
          });
    } catch (RejectedExecutionException e) {
      // Only after close(): close() destroys it.
      listener.onSandboxDeleted(pool, sandboxName);
    }
  }

  /** What a sandbox is started as. */
  LaunchSpec specOf(LocalSandbox sb) {
    SandboxBlueprint bp = sb.blueprint;
    return new LaunchSpec(
        sb.id,
        SandboxEnv.hostname(sb.name),
        sb.dir,
        sb.workspace,
        rootfs,
        maskedStateDir,
        init.argv(bp),
        SandboxEnv.base(bp),
        init.binds(sb.dir),
        root,
        bp.cpuMillis(),
        group.limitsOf(bp.memoryBytes(), bp.cpuMillis()).memoryBytes(),
        "/agent-sandbox/" + sb.id);
  }

  /** Starts a sandbox and waits until an exec answers. Lifecycle workers only. */
  private void start(LocalSandbox sb) {
    long t0 = System.nanoTime();
    String failure;
    try {
      String why = runtimes.unavailableReason(sb.blueprint.runtimeClass());
      if (why != null) throw new IOException(why);
      if (!sb.blueprint.image().isEmpty() && imageLogged.add(sb.blueprint.templateName())) {
        LOG.info(
            "template {}: image {} is ignored by the local backend; sandboxes run the host's /usr,"
                + " /etc, ... read-only",
            sb.blueprint.templateName(),
            sb.blueprint.image());
      }
      Files.createDirectories(sb.workspace);
      if (root) chownToSandboxUser(sb.workspace);
      if (init.hasAgent()) {
        sb.agentSecret = AgentInit.prepare(sb.dir, root ? SandboxEnv.SANDBOX_UID : -1);
      }
      store.writeMeta(sb.dir, sb.meta());
      SandboxLauncher launcher = launchers.get(sb.runtime);
      launcher.start(sb, specOf(sb), HostRoot.scan());
      failure = awaitExec(sb, launcher, t0);
    } catch (IOException | RuntimeException e) {
      failure = e.getMessage() == null ? e.toString() : e.getMessage();
    }
    if (failure == null && sb.agentSecret != null) {
      try {
        AgentInit.forgetAgentCopy(sb.dir);
      } catch (IOException e) {
        failure = "cannot delete the agent's copy of its secret: " + e.getMessage();
      }
    }
    if (failure == null && !sb.deleteRequested) {
      sb.ready = true;
      watch(sb);
      LOG.debug(
          "sandbox {} ({}) ready in {} ms",
          sb.id,
          sb.runtime.wireName(),
          (System.nanoTime() - t0) / 1_000_000);
      sb.listener.onSandboxReady(sb.pool, sb.name, List.of());
      return;
    }
    if (failure == null) failure = "deleted while starting";
    LOG.warn(
        "sandbox {} ({}) failed to start: {}",
        sb.id,
        sb.runtime == null ? "none" : sb.runtime.wireName(),
        failure);
    destroy(sb);
    sb.listener.onSandboxFailed(sb.pool, sb.name, failure);
  }

  private String awaitExec(LocalSandbox sb, SandboxLauncher launcher, long t0) throws IOException {
    long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(config.readyTimeoutMs());
    String last = "no answer";
    long backoffNs = TimeUnit.MILLISECONDS.toNanos(2);
    while (!sb.deleteRequested) {
      String exited = launcher.exitedWhileStarting(sb);
      if (exited != null) return exited;
      if (sb.agentSecret != null) {
        String silent = AgentProbe.probe(AgentInit.socket(sb.dir));
        if (silent == null) return null;
        last = silent;
      } else if (launcher.canExec(sb)) {
        String silent = executor.probe(sb);
        if (silent == null) return null;
        last = "probe " + silent;
      }
      if (System.nanoTime() - deadline > 0)
        return (sb.agentSecret != null ? "the agent's /healthz: no answer" : "no exec answered")
            + " within "
            + config.readyTimeoutMs()
            + " ms ("
            + last
            + ")";
      LockSupport.parkNanos(backoffNs);
      backoffNs = Math.min(backoffNs * 2, TimeUnit.MILLISECONDS.toNanos(100));
    }
    return "deleted while starting";
  }

  /** Watches a ready sandbox: if it dies unasked, report it failed and clean up. Any thread. */
  void watch(LocalSandbox sb) {
    CompletableFuture<?> exit;
    if (sb.process != null) {
      exit = sb.process.onExit();
    } else {
      Optional<ProcessHandle> handle =
          sb.outerPid == 0 ? Optional.empty() : ProcessHandle.of(sb.outerPid);
      if (handle.isEmpty()) return;
      exit = handle.get().onExit();
    }
    exit.thenRun(
        () -> {
          if (sb.deleteRequested || closed.get()) return;
          sb.dead = true;
          try {
            workers.execute(
                () -> {
                  if (sb.deleteRequested) return;
                  String reason = deathReason(group.oomKills(sb.id));
                  LOG.warn(
                      "sandbox {} ({}) died: {}; {}",
                      sb.id,
                      sb.runtime.wireName(),
                      reason,
                      Text.tail(sb.dir.resolve("runtime.log")));
                  destroy(sb);
                  sb.listener.onSandboxFailed(sb.pool, sb.name, reason);
                });
          } catch (RejectedExecutionException e) {
            // shutting down
          }
        });
  }

  /**
   * Why a ready sandbox died, as the claim's reason: {@code OutOfMemory} when the kernel killed a
   * process of its group for memory (gVisor loses the whole sandbox then), else {@code Died}.
   */
  static String deathReason(long oomKills) {
    return oomKills > 0
        ? "OutOfMemory: the sandbox exceeded its memory limit and its runtime was killed"
        : "Died: the sandbox's runtime exited or was killed";
  }

  /** Kills a sandbox's processes and removes its state. Idempotent; lifecycle workers only. */
  private void destroy(LocalSandbox sb) {
    synchronized (sb) {
      if (sb.destroyed) return;
      sb.destroyed = true;
      sb.deleteRequested = true;
      try {
        reaper.kill(sb);
        Process p = sb.process;
        if (p != null) p.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        sandboxes.remove(sb);
      }
    }
  }

  /**
   * Destroys every sandbox, waiting up to {@code timeoutMs}; call after {@link #markClosed}.
   * Blocking; returns how many there were.
   */
  int destroyAll(long timeoutMs) {
    List<LocalSandbox> all = sandboxes.snapshot();
    for (LocalSandbox sb : all) sb.deleteRequested = true;
    List<CompletableFuture<Void>> done = new ArrayList<>();
    for (LocalSandbox sb : all) done.add(CompletableFuture.runAsync(() -> destroy(sb), workers));
    try {
      CompletableFuture.allOf(done.toArray(new CompletableFuture<?>[0]))
          .get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      LOG.warn(
          "local backend: not every sandbox was destroyed at shutdown ({}); the next start"
              + " removes them",
          e.toString());
    }
    return all.size();
  }

  /** Refuses further creates and stops reporting deaths; false when it was closed already. */
  boolean markClosed() {
    return closed.compareAndSet(false, true);
  }

  private static void chownToSandboxUser(Path p) throws IOException {
    Files.setAttribute(p, "unix:uid", SandboxEnv.SANDBOX_UID, LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(p, "unix:gid", SandboxEnv.SANDBOX_UID, LinkOption.NOFOLLOW_LINKS);
  }
}
