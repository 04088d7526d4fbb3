package io.agentsandbox.scheduler.backend.local;

import io.agentsandbox.core.model.AgentEndpoint;
import io.agentsandbox.core.model.BindingRecord;
import io.agentsandbox.core.model.ExecRequest;
import io.agentsandbox.core.model.ExecResult;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RecoveredSandbox;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxBlueprint;
import io.agentsandbox.core.model.SandboxRef;
import io.agentsandbox.core.port.AgentLocator;
import io.agentsandbox.core.port.BindingStore;
import io.agentsandbox.core.port.ProvisionListener;
import io.agentsandbox.core.port.SandboxExecutor;
import io.agentsandbox.core.port.SandboxProvisioner;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code local} backend: each sandbox is an isolated process tree on this host, under gVisor
 * ({@code runsc}) or bubblewrap ({@code bwrap}) by runtime class, with a private writable {@code
 * /workspace} under the state directory, a private tmpfs {@code /tmp}, no network (loopback only),
 * its own PID/IPC/UTS namespaces and the host's system directories read-only.
 *
 * <p>This class composes the backend's parts and is its entry point: {@link StateDir} (lock and
 * layout), {@link SandboxLifecycle} (create, delete, death watch), one {@link SandboxLauncher} per
 * runtime, {@link LocalExecutor} ({@link #executor()}), {@link LocalBindingStore} ({@link
 * #bindingStore()}) and {@link LocalRecovery}. It is itself a provisioner, executor and binding
 * store by delegation.
 *
 * <p>Thread-safe. {@link #create}, {@link #delete} and {@link #exec} return at once; every process
 * is started and waited for on the backend's own bounded pools ({@link WorkerPools}), never on the
 * caller's thread. Results reach the {@link ProvisionListener} from those threads.
 *
 * <p>Lifecycle: sandboxes are started detached (they are not children that die with the server). A
 * clean {@link #close()} destroys them all. After a crash ({@code kill -9}), the next start ({@link
 * #openForRecovery} then {@link #recover}, before any pool is declared) finds every sandbox of the
 * previous run in the state directory: a sandbox whose processes are still the ones started and
 * whose exec answers is kept, unclaimed ones are re-adopted by their pool (when it is still
 * declared with the same template), ones bound to an acknowledged claim are re-bound to it with the
 * rest of its TTL; everything else is destroyed (process tree, runsc state and workspace), so
 * nothing is orphaned. {@link #open} destroys everything instead.
 */
public final class LocalProvisioner implements SandboxProvisioner, SandboxExecutor, BindingStore {

  /**
   * What restart recovery needs from the scheduler. Immutable.
   *
   * @param declared the pools declared now, with their blueprints
   * @param routable false for a binding whose claim id cannot reach its pool's shard any more (the
   *     shard count changed): such a sandbox is destroyed
   * @param listeners where each pool's events go (its shard's listener)
   */
  public record RecoveryPlan(
      Map<PoolKey, SandboxBlueprint> declared,
      Predicate<BindingRecord> routable,
      Function<PoolKey, ProvisionListener> listeners) {
    /** Keeps nothing: destroys every leftover. */
    public static final RecoveryPlan NONE = new RecoveryPlan(Map.of(), b -> false, k -> null);
  }

  /**
   * The sandboxes of one pool kept by {@link #recover}.
   *
   * @param blueprint the pool's blueprint as the sandboxes were started (for a pool no longer
   *     declared)
   */
  public record RecoveredPool(
      PoolKey pool, SandboxBlueprint blueprint, List<RecoveredSandbox> sandboxes) {}

  static final String BINDING_FILE = SandboxStore.BINDING_FILE;

  private static final Logger LOG = LoggerFactory.getLogger(LocalProvisioner.class);

  private final HostProbe probe;
  private final StateDir stateDir;
  private final RuntimeMap runtimes;
  private final WorkerPools pools;
  private final SandboxTable sandboxes = new SandboxTable();
  private final LocalExecutor executor;
  private final LocalBindingStore bindings;
  private final SandboxLifecycle lifecycle;
  private final LocalRecovery recovery;
  private final SandboxCgroup cgroups;

  private LocalProvisioner(
      LocalBackendConfig config, HostProbe probe, StateDir stateDir, SandboxInit init) {
    this.probe = probe;
    this.stateDir = stateDir;
    this.runtimes =
        RuntimeMap.of(config, probe, probe.root() ? stateDir.unreachableBySandboxUser() : null);
    this.pools = new WorkerPools(config);
    ProcessRunner runner = new ProcessRunner(pools.pipes);
    Runsc runsc = new Runsc(probe.runsc(), stateDir.runscRoot(), runner, init.hasAgent());
    SandboxStore store = new SandboxStore(stateDir.sandboxes());
    this.cgroups =
        new SandboxCgroup(
            probe.root()
                ? SandboxCgroup.detect(Path.of("/proc/self/mounts"))
                : new CgroupDriver.None(),
            config.defaultSandboxMemoryBytes(),
            config.defaultSandboxPids());
    if (cgroups.unenforced().isEmpty()) LOG.info("local backend: {}", cgroups.describe());
    else LOG.warn("local backend: {}", cgroups.describe());
    this.executor =
        new LocalExecutor(
            sandboxes,
            pools.execs,
            runner,
            new ExecArgv(
                probe.runsc(),
                stateDir.runscRoot(),
                probe.nsenter(),
                probe.setpriv(),
                probe.root()),
            config.execWorkers(),
            config.execOutputLimitBytes(),
            cgroups);
    this.bindings = new LocalBindingStore(sandboxes, store, pools.bindings);
    Map<LocalRuntime, SandboxLauncher> launchers = new EnumMap<>(LocalRuntime.class);
    launchers.put(LocalRuntime.GVISOR, new GvisorLauncher(runsc, store, probe.root(), cgroups));
    launchers.put(LocalRuntime.BWRAP, new BwrapLauncher(probe, store, cgroups));
    SandboxReaper reaper = new SandboxReaper(runsc, cgroups);
    this.lifecycle =
        new SandboxLifecycle(
            config,
            sandboxes,
            store,
            runtimes,
            launchers,
            init,
            executor,
            reaper,
            pools.lifecycle,
            stateDir,
            probe.root(),
            cgroups);
    this.recovery =
        new LocalRecovery(
            store,
            sandboxes,
            bindings,
            executor,
            reaper,
            runsc,
            probe.gvisorReason() == null,
            runtimes,
            pools.lifecycle);
  }

  /**
   * Opens the backend: probes {@code runsc} and {@code bwrap}, locks the state directory and
   * destroys whatever a previous run left in it. Blocking (runs processes): never call on an event
   * loop.
   *
   * @throws IllegalStateException when the state directory cannot be used or is locked by another
   *     server
   */
  public static LocalProvisioner open(LocalBackendConfig config) {
    LocalProvisioner p = openForRecovery(config);
    p.recover(RecoveryPlan.NONE);
    return p;
  }

  /**
   * Opens the backend like {@link #open} but leaves what a previous run left for {@link #recover},
   * which must be called next, before any sandbox is created. Blocking.
   */
  public static LocalProvisioner openForRecovery(LocalBackendConfig config) {
    return openForRecovery(
        config,
        config.agentBinary() == null
            ? SandboxInit.WORKLOAD
            : new AgentInit(config.agentBinary(), config.execOutputLimitBytes()));
  }

  /**
   * Like {@link #openForRecovery(LocalBackendConfig)}, with {@code init} as every sandbox's init.
   */
  static LocalProvisioner openForRecovery(LocalBackendConfig config, SandboxInit init) {
    config.validate();
    HostProbe probe = HostProbe.run(config);
    StateDir dir = StateDir.open(config.stateDir(), HostRoot.scan());
    return new LocalProvisioner(config, probe, dir, init);
  }

  /**
   * Restart recovery: walks the sandboxes a previous run left in the state directory, keeps those
   * whose processes are still the ones started and whose exec answers (unclaimed ones only when
   * their pool is still declared with the same template; bound ones when their claim was
   * acknowledged, was not released, has TTL left and is {@code routable}), and destroys everything
   * else, including runsc containers without a directory. Call once, right after {@link
   * #openForRecovery}, before any pool is declared. Blocking (runs processes).
   *
   * @return the kept sandboxes by pool
   */
  public Map<PoolKey, RecoveredPool> recover(RecoveryPlan plan) {
    Map<PoolKey, RecoveredPool> kept = recovery.recover(plan);
    // Watch only once everything kept is registered: a death now reaches the pool that adopts it.
    for (LocalSandbox sb : sandboxes.snapshot()) lifecycle.watch(sb);
    return kept;
  }

  /**
   * What this host enforces of the sandboxes' limits, for logs and pool status: one line, naming
   * the limits it cannot enforce.
   */
  @Override
  public String limitsDescription() {
    return cgroups.describe();
  }

  /** True when memory, CPU and process limits are all enforced. */
  @Override
  public boolean limitsEnforced() {
    return cgroups.unenforced().isEmpty();
  }

  /** What the probe found, for logs. */
  public HostProbe probe() {
    return probe;
  }

  /** True when at least one runtime works here. */
  public boolean anyRuntimeUsable() {
    return runtimes.anyUsable();
  }

  public Path stateDir() {
    return stateDir.path();
  }

  /**
   * The local runtime of a runtime class, or null when it has none (see {@link
   * #unavailableReason}).
   */
  public LocalRuntime runtimeOf(RuntimeClass rc) {
    return runtimes.runtimeOf(rc);
  }

  @Override
  public String unavailableReason(RuntimeClass rc) {
    return runtimes.unavailableReason(rc);
  }

  /** Runs commands in this backend's sandboxes (also what {@link #exec} delegates to). */
  public SandboxExecutor executor() {
    return executor;
  }

  /**
   * Finds a ready sandbox's agent: its unix socket in the sandbox's directory and its secret; null
   * when the sandbox is unknown, not ready, being deleted, or runs without the agent (started with
   * {@code --agent-binary none}, or by a previous run without it). In memory only; any thread.
   */
  public AgentLocator agentLocator() {
    return ref -> {
      LocalSandbox sb = sandboxes.get(SandboxMeta.idOf(ref.pool(), ref.name()));
      if (sb == null || !sb.ready || sb.deleteRequested || sb.dead) return null;
      String secret = sb.agentSecret;
      return secret == null ? null : AgentEndpoint.unix(AgentInit.socket(sb.dir), secret);
    };
  }

  /** Makes claim bindings durable beside their sandboxes (what {@link #persist} delegates to). */
  public BindingStore bindingStore() {
    return bindings;
  }

  // ---------------------------------------------------------------- provisioner

  @Override
  public void create(
      PoolKey pool, String sandboxName, SandboxBlueprint blueprint, ProvisionListener listener) {
    lifecycle.create(pool, sandboxName, blueprint, listener);
  }

  @Override
  public void delete(PoolKey pool, String sandboxName, ProvisionListener listener) {
    lifecycle.delete(pool, sandboxName, listener);
  }

  @Override
  public String backendName() {
    return "local";
  }

  // ---------------------------------------------------------------- executor, binding store

  @Override
  public CompletionStage<ExecResult> exec(SandboxRef sandbox, ExecRequest request) {
    return executor.exec(sandbox, request);
  }

  @Override
  public CompletionStage<ExecResult> execStreaming(
      SandboxRef sandbox, ExecRequest request, OutputListener listener) {
    return executor.execStreaming(sandbox, request, listener);
  }

  @Override
  public void persist(BindingRecord binding, Consumer<Throwable> done) {
    bindings.persist(binding, done);
  }

  @Override
  public void remove(String claimId) {
    bindings.remove(claimId);
  }

  // ---------------------------------------------------------------- close

  /**
   * Destroys every sandbox and stops the worker pools. Blocking (bounded, about 30 s at most): call
   * from a worker or the shutdown thread, never an event loop. Idempotent.
   */
  public void close() {
    if (!lifecycle.markClosed()) return;
    int destroyed = lifecycle.destroyAll(Runsc.DELETE_TIMEOUT_MS);
    pools.shutdownNow();
    stateDir.close();
    LOG.info("local backend: {} sandbox(es) destroyed at shutdown", destroyed);
  }

  /**
   * Test hook simulating a crash ({@code kill -9}): stops the workers and drops the state-dir lock
   * without destroying anything, so a new instance can open the same state dir and must clean up.
   */
  void releaseLockForTest() {
    lifecycle.markClosed();
    pools.shutdownNow();
    stateDir.close();
  }

  /** Sandboxes currently known (starting, ready or being deleted). Any thread. */
  public int sandboxCount() {
    return sandboxes.size();
  }

  static String idOf(PoolKey pool, String sandboxName) {
    return SandboxMeta.idOf(pool, sandboxName);
  }
}
