package io.agentsandbox.scheduler.backend.local;

import io.agentsandbox.core.model.BindingRecord;
import io.agentsandbox.core.model.ExecRequest;
import io.agentsandbox.core.model.ExecResult;
import io.agentsandbox.core.model.LaunchType;
import io.agentsandbox.core.model.OnEmpty;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RecoveredSandbox;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxBlueprint;
import io.agentsandbox.core.model.SandboxRef;
import io.agentsandbox.core.port.BindingStore;
import io.agentsandbox.core.port.ProvisionListener;
import io.agentsandbox.core.port.SandboxExecutor;
import io.agentsandbox.core.port.SandboxProvisioner;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code local} backend: each sandbox is an isolated process tree on this host, under gVisor
 * ({@code runsc}) or bubblewrap ({@code bwrap}) by runtime class, with a private writable {@code
 * /workspace} under the state directory, a private tmpfs {@code /tmp}, no network (loopback only),
 * its own PID/IPC/UTS namespaces and the host's system directories read-only.
 *
 * <p>Thread-safe. {@link #create}, {@link #delete} and {@link #exec} return at once; every process
 * is started and waited for on the backend's own bounded pools ({@code local-runtime-<n>} for
 * start/probe/delete, {@code local-exec-<n>} for execs, {@code local-exec-io-<n>} for output
 * pipes), never on the caller's thread. Results reach the {@link ProvisionListener} from those
 * threads.
 *
 * <p>Lifecycle: sandboxes are started detached (they are not children that die with the server). A
 * clean {@link #close()} destroys them all. After a crash ({@code kill -9}), the next start ({@link
 * #openForRecovery} then {@link #recover}, before any pool is declared) finds every sandbox of the
 * previous run in the state directory: a sandbox whose processes are still the ones started and
 * whose exec answers is kept, unclaimed ones are re-adopted by their pool (when it is still
 * declared with the same template), ones bound to an acknowledged claim are re-bound to it with the
 * rest of its TTL; everything else is destroyed (process tree, runsc state and workspace), so
 * nothing is orphaned. {@link #open} destroys everything instead.
 *
 * <p>As a {@link BindingStore}, it writes each claim's binding into the sandbox's own directory
 * ({@code binding.properties}: temp file, fsync, atomic rename, fsync of the directory) on its
 * {@code local-binding-<n>} threads before the claim is acknowledged; a release writes a {@code
 * released} marker, so a released sandbox is never adopted again.
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

  static final String BINDING_FILE = "binding.properties";
  static final String RELEASED_FILE = "released";

  private static final Logger LOG = LoggerFactory.getLogger(LocalProvisioner.class);

  /** The unprivileged host uid/gid sandboxes run as when the server runs as root. */
  static final int SANDBOX_UID = 65534;

  static final String PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  /** Host top-level directories a sandbox sees (read-only); everything else is absent. */
  static final Set<String> HOST_DIRS =
      Set.of("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "opt", "var");

  /** Default command: an idle shell that reaps children until told to stop. */
  static final List<String> IDLE_INIT =
      List.of("/bin/sh", "-c", "trap 'exit 0' TERM INT; while :; do sleep 2147483647 & wait; done");

  private static final Pattern CHILD_PID = Pattern.compile("\"child-pid\"\\s*:\\s*(\\d+)");
  private static final long DELETE_TIMEOUT_MS = 30_000;

  private final LocalBackendConfig config;
  private final Path stateDir;
  private final Path sandboxesDir;
  private final Path runscRoot;
  private final Path rootfs;
  private final HostProbe probe;
  private final boolean root;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final ThreadPoolExecutor lifecycle;
  private final ThreadPoolExecutor execs;
  private final ThreadPoolExecutor pipes;
  private final ThreadPoolExecutor bindings;
  private final ConcurrentHashMap<String, LocalSandbox> byClaim = new ConcurrentHashMap<>();
  private final ProcessRunner runner;
  private final ConcurrentHashMap<String, LocalSandbox> sandboxes = new ConcurrentHashMap<>();
  private final AtomicBoolean runscCgroups;
  private final AtomicLong execSeq = new AtomicLong();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Set<String> imageLogged = ConcurrentHashMap.newKeySet();

  /** Why bubblewrap sandboxes cannot reach their workspace under the state dir, or null. */
  private final String bwrapStateProblem;

  private LocalProvisioner(
      LocalBackendConfig config,
      Path stateDir,
      HostProbe probe,
      FileChannel lockChannel,
      FileLock lock) {
    this.config = config;
    this.stateDir = stateDir;
    this.sandboxesDir = stateDir.resolve("sandboxes");
    this.runscRoot = stateDir.resolve("runsc");
    this.rootfs = stateDir.resolve("rootfs");
    this.probe = probe;
    this.root = probe.root();
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.runscCgroups = new AtomicBoolean(probe.root());
    this.lifecycle =
        pool("local-runtime-", config.lifecycleWorkers(), new LinkedBlockingQueue<>(100_000));
    this.execs =
        pool(
            "local-exec-",
            config.execWorkers(),
            new ArrayBlockingQueue<>(4 * config.execWorkers()));
    this.pipes =
        pool(
            "local-exec-io-",
            2 * config.execWorkers() + 2 * config.lifecycleWorkers(),
            new LinkedBlockingQueue<>());
    this.bindings = pool("local-binding-", 2, new LinkedBlockingQueue<>());
    this.runner = new ProcessRunner(pipes);
    this.bwrapStateProblem = probe.root() ? unreachableByOthers(stateDir) : null;
  }

  /** bwrap runs as uid 65534 and must walk down to the workspaces: every ancestor needs o+x. */
  private static String unreachableByOthers(Path dir) {
    for (Path p = dir; p != null; p = p.getParent()) {
      try {
        if (!Files.getPosixFilePermissions(p)
            .contains(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE)) {
          return "the state dir "
              + dir
              + " is not reachable by the sandbox user (uid "
              + SANDBOX_UID
              + "): "
              + p
              + " lacks o+x; use a --state-dir whose parent directories are world-searchable (e.g. /var/lib/agent-sandbox)";
        }
      } catch (IOException e) {
        return "cannot inspect " + p + ": " + e.getMessage();
      }
    }
    return null;
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
    config.validate();
    HostProbe probe = HostProbe.run(config);
    Path dir = config.stateDir().toAbsolutePath().normalize();
    FileChannel ch = null;
    try {
      Files.createDirectories(dir);
      ch =
          FileChannel.open(
              dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = ch.tryLock();
      } catch (java.nio.channels.OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        ch.close();
        throw new IllegalStateException(
            "state dir "
                + dir
                + " is in use by another agent-sandbox server ("
                + dir.resolve("lock")
                + " is locked)");
      }
      LocalProvisioner p = new LocalProvisioner(config, dir, probe, ch, lock);
      p.prepare();
      return p;
    } catch (IOException e) {
      closeQuietly(ch);
      throw new IllegalStateException("cannot use state dir " + dir + ": " + e.getMessage(), e);
    }
  }

  /** What the probe found, for logs. */
  public HostProbe probe() {
    return probe;
  }

  /** True when at least one runtime works here. */
  public boolean anyRuntimeUsable() {
    return probe.gvisorReason() == null
        || (probe.bwrapReason() == null && bwrapStateProblem == null);
  }

  public Path stateDir() {
    return stateDir;
  }

  // ---------------------------------------------------------------- runtime classes

  /**
   * The local runtime of a runtime class, or null when it has none (see {@link
   * #unavailableReason}).
   */
  public LocalRuntime runtimeOf(RuntimeClass rc) {
    String key = rc.isDefault() ? "default" : rc.name();
    String mapped = config.runtimeMap().get(key);
    if (mapped == null && rc.isKata()) mapped = config.runtimeMap().get("kata");
    if (mapped == null) mapped = config.runtimeMap().get("*");
    if (mapped != null) return LocalRuntime.parse(mapped);
    if (rc.isDefault() || rc.name().equals("runc")) return LocalRuntime.BWRAP;
    if (rc.equals(RuntimeClass.GVISOR) || rc.name().equals("runsc")) return LocalRuntime.GVISOR;
    return null;
  }

  @Override
  public String unavailableReason(RuntimeClass rc) {
    LocalRuntime runtime = runtimeOf(rc);
    if (runtime == null) {
      return "runtime class "
          + rc.displayName()
          + " has no runtime on the local backend (only gvisor and the default/runc run on one host); "
          + "map it to one with --runtime-map "
          + rc.displayName()
          + "=gvisor (or =bwrap)";
    }
    String why =
        runtime == LocalRuntime.GVISOR
            ? probe.gvisorReason()
            : probe.bwrapReason() != null ? probe.bwrapReason() : bwrapStateProblem;
    return why == null
        ? null
        : "runtime class "
            + rc.displayName()
            + " runs on "
            + runtime.wireName()
            + ", which is not usable here: "
            + why;
  }

  // ---------------------------------------------------------------- provisioner

  @Override
  public void create(
      PoolKey pool, String sandboxName, SandboxBlueprint blueprint, ProvisionListener listener) {
    String id = idOf(pool, sandboxName);
    LocalRuntime runtime = runtimeOf(blueprint.runtimeClass());
    LocalSandbox sb =
        new LocalSandbox(
            id, pool, sandboxName, runtime, blueprint, listener, sandboxesDir.resolve(id));
    if (closed.get()) {
      listener.onSandboxFailed(pool, sandboxName, "the local backend is shut down");
      return;
    }
    if (sandboxes.putIfAbsent(id, sb) != null) {
      listener.onSandboxFailed(pool, sandboxName, "a sandbox named " + id + " already exists");
      return;
    }
    try {
      lifecycle.execute(() -> start(sb));
    } catch (RejectedExecutionException e) {
      sandboxes.remove(id, sb);
      listener.onSandboxFailed(
          pool, sandboxName, "the local backend is overloaded (start queue full)");
    }
  }

  @Override
  public void delete(PoolKey pool, String sandboxName, ProvisionListener listener) {
    String id = idOf(pool, sandboxName);
    LocalSandbox sb = sandboxes.get(id);
    if (sb == null) {
      listener.onSandboxDeleted(pool, sandboxName);
      return;
    }
    sb.deleteRequested = true;
    try {
      lifecycle.execute(
          () -> {
            destroy(sb);
            listener.onSandboxDeleted(pool, sandboxName);
          });
    } catch (RejectedExecutionException e) {
      // Only after close(): close() destroys it.
      listener.onSandboxDeleted(pool, sandboxName);
    }
  }

  @Override
  public String backendName() {
    return "local";
  }

  // ---------------------------------------------------------------- binding store

  @Override
  public void persist(BindingRecord binding, Consumer<Throwable> done) {
    LocalSandbox sb = sandboxes.get(idOf(binding.pool(), binding.sandboxName()));
    if (sb == null || sb.deleteRequested) {
      done.accept(new IOException("sandbox " + binding.sandboxName() + " is gone"));
      return;
    }
    byClaim.put(binding.claimId(), sb);
    try {
      bindings.execute(
          () -> {
            Throwable failure = null;
            try {
              synchronized (sb) {
                if (sb.destroyed || sb.released)
                  throw new IOException("sandbox " + sb.name + " was released or destroyed");
                writeDurably(sb.dir.resolve(BINDING_FILE), bindingProperties(binding));
              }
            } catch (IOException | RuntimeException e) {
              failure = e;
            }
            done.accept(failure);
          });
    } catch (RejectedExecutionException e) {
      byClaim.remove(binding.claimId(), sb);
      done.accept(new IOException("the local backend is shut down"));
    }
  }

  @Override
  public void remove(String claimId) {
    LocalSandbox sb = byClaim.remove(claimId);
    if (sb == null) return;
    sb.released = true;
    try {
      bindings.execute(
          () -> {
            synchronized (sb) {
              if (sb.destroyed) return;
              try {
                writeDurably(sb.dir.resolve(RELEASED_FILE), new byte[0]);
              } catch (IOException e) {
                LOG.warn("cannot mark sandbox {} released: {}", sb.id, e.toString());
              }
            }
          });
    } catch (RejectedExecutionException e) {
      // shutting down: close() destroys the sandbox
    }
  }

  /**
   * Writes a file so that it survives a crash: temp file, fsync, atomic rename, fsync of the
   * directory.
   */
  static void writeDurably(Path target, byte[] bytes) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    try (FileChannel ch =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(bytes);
      while (buf.hasRemaining()) ch.write(buf);
      ch.force(true);
    }
    Files.move(
        tmp,
        target,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel dir = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
      dir.force(true);
    } catch (IOException e) {
      // some file systems cannot fsync a directory; the rename is still atomic
    }
  }

  private static byte[] bindingProperties(BindingRecord b) throws IOException {
    Properties p = new Properties();
    p.setProperty("claimId", b.claimId());
    p.setProperty("namespace", b.pool().namespace());
    p.setProperty("pool", b.pool().name());
    p.setProperty("sandbox", b.sandboxName());
    p.setProperty("tenant", b.tenant());
    p.setProperty("priority", Integer.toString(b.priority()));
    p.setProperty("onEmpty", b.onEmpty().name());
    p.setProperty("launchType", b.launchType().name());
    p.setProperty("ttlMs", Long.toString(b.ttlMs()));
    p.setProperty("expiresAtEpochMs", Long.toString(b.expiresAtEpochMs()));
    var out = new java.io.ByteArrayOutputStream();
    p.store(
        new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8), "agent-sandbox claim binding");
    return out.toByteArray();
  }

  private static BindingRecord readBinding(Path file) throws IOException {
    Properties p = new Properties();
    try (var r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
    }
    try {
      return new BindingRecord(
          p.getProperty("claimId"),
          new PoolKey(p.getProperty("namespace"), p.getProperty("pool")),
          p.getProperty("sandbox"),
          p.getProperty("tenant"),
          Integer.parseInt(p.getProperty("priority")),
          OnEmpty.valueOf(p.getProperty("onEmpty")),
          LaunchType.valueOf(p.getProperty("launchType")),
          Long.parseLong(p.getProperty("ttlMs")),
          Long.parseLong(p.getProperty("expiresAtEpochMs")));
    } catch (RuntimeException e) {
      throw new IOException("unreadable binding " + file + ": " + e, e);
    }
  }

  // ---------------------------------------------------------------- restart recovery

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
    Map<PoolKey, RecoveredPool> kept = new LinkedHashMap<>();
    int reaped = 0;
    List<CompletableFuture<Void>> reaping = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(sandboxesDir)) {
      for (Path dir : ds) {
        LocalSandbox sb = null;
        String why;
        try {
          why = null;
          Properties meta = loadMeta(dir);
          PoolKey pool = new PoolKey(meta.getProperty("namespace"), meta.getProperty("pool"));
          String name = meta.getProperty("sandbox");
          SandboxBlueprint bp = blueprintOf(meta);
          LocalRuntime runtime = LocalRuntime.parse(meta.getProperty("runtime"));
          BindingRecord binding =
              Files.exists(dir.resolve(BINDING_FILE))
                  ? readBinding(dir.resolve(BINDING_FILE))
                  : null;
          SandboxBlueprint declared = plan.declared().get(pool);
          if (runtime == null
              || name == null
              || !dir.getFileName().toString().equals(idOf(pool, name)))
            why = "incomplete metadata";
          else if (Files.exists(dir.resolve(RELEASED_FILE))) why = "its claim was released";
          else if (binding == null && declared == null) why = "its pool is no longer declared";
          else if (binding == null && !declared.equals(bp)) why = "its pool's template changed";
          else if (binding == null && runtimeOf(bp.runtimeClass()) != runtime)
            why = "its runtime class now maps to another runtime";
          else if (binding != null
              && (!binding.sandboxName().equals(name) || !binding.pool().equals(pool)))
            why = "its binding names another sandbox";
          else if (binding != null
              && binding.expiresAtEpochMs() != 0
              && binding.expiresAtEpochMs() <= System.currentTimeMillis())
            why = "its claim's TTL has passed";
          else if (binding != null && !plan.routable().test(binding))
            why = "its claim id no longer routes to its pool's shard (--shards changed)";
          if (why == null) {
            ProvisionListener listener = plan.listeners().apply(pool);
            sb = new LocalSandbox(idOf(pool, name), pool, name, runtime, bp, listener, dir);
            sb.outerPid = Long.parseLong(meta.getProperty("outerPid", "0"));
            sb.outerStart = Long.parseLong(meta.getProperty("outerStart", "0"));
            sb.initPid = Long.parseLong(meta.getProperty("initPid", "0"));
            sb.initStart = Long.parseLong(meta.getProperty("initStart", "0"));
            why = aliveProblem(sb);
            if (why == null) {
              sb.ready = true;
              sandboxes.put(sb.id, sb);
              if (binding != null) byClaim.put(binding.claimId(), sb);
              SandboxBlueprint poolBlueprint = declared != null ? declared : bp;
              kept.computeIfAbsent(
                      pool, k -> new RecoveredPool(k, poolBlueprint, new ArrayList<>()))
                  .sandboxes()
                  .add(new RecoveredSandbox(name, List.of(), binding));
              LOG.info(
                  "local backend: kept sandbox {} ({}) of the previous run{}",
                  sb.id,
                  runtime.wireName(),
                  binding == null ? ", unclaimed" : ", bound to claim " + binding.claimId());
              continue;
            }
          }
        } catch (IOException | RuntimeException e) {
          why = "unreadable state: " + e.getMessage();
        }
        LOG.info(
            "local backend: destroying sandbox {} left by the previous run: {}",
            dir.getFileName(),
            why);
        reaped++;
        // In parallel: killing a process that is not our child is confirmed by polling (about a
        // second).
        reaping.add(CompletableFuture.runAsync(() -> reap(dir), lifecycle));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot scan " + sandboxesDir, e);
    }
    CompletableFuture.allOf(reaping.toArray(new CompletableFuture<?>[0])).join();
    // runsc containers whose directory is gone
    if (probe.gvisorReason() == null) {
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(runscRoot, "*.state")) {
        for (Path state : ds) {
          String name = state.getFileName().toString();
          String id = name.substring(0, name.length() - ".state".length());
          int sep = id.indexOf("_sandbox:");
          if (sep >= 0) id = id.substring(0, sep);
          if (sandboxes.containsKey(id)) continue;
          runner.run(
              List.of(probe.runsc(), "--root", runscRoot.toString(), "delete", "-force", id),
              null,
              hostEnv(),
              4_096,
              DELETE_TIMEOUT_MS);
          reaped++;
        }
      } catch (IOException e) {
        LOG.warn("cannot clean runsc state in {}: {}", runscRoot, e.toString());
      }
    }
    if (reaped > 0)
      LOG.warn(
          "local backend: destroyed {} sandbox(es) left by a previous run in {}", reaped, stateDir);
    // Watch only once everything kept is registered: a death now reaches the pool that adopts it.
    for (LocalSandbox sb : sandboxes.values()) watch(sb);
    return kept;
  }

  /**
   * Null when a sandbox of a previous run is still the one started and its exec answers, else why
   * not.
   */
  private String aliveProblem(LocalSandbox sb) throws IOException {
    if (sb.outerPid <= 1 || sb.outerStart <= 0 || startTimeOf(sb.outerPid) != sb.outerStart)
      return "its process is gone";
    // bwrap: exec enters the namespaces of initPid: it must be the very process started (pids are
    // reused).
    if (sb.runtime == LocalRuntime.BWRAP
        && (sb.initPid <= 1 || sb.initStart <= 0 || startTimeOf(sb.initPid) != sb.initStart)) {
      return "its init process is gone";
    }
    ExecResult r =
        runner.run(
            execCommand(sb, new ExecRequest(List.of("true"), null, null, null, 5_000)),
            null,
            hostEnv(),
            4_096,
            10_000);
    return r.exitCode() == 0
        ? null
        : "its exec does not answer (exit " + r.exitCode() + ": " + firstLine(r.stderr()) + ")";
  }

  private static Properties loadMeta(Path dir) throws IOException {
    Properties meta = new Properties();
    try (var r = Files.newBufferedReader(dir.resolve("meta.properties"))) {
      meta.load(r);
    }
    return meta;
  }

  private static void putBlueprint(Properties p, SandboxBlueprint bp) {
    p.setProperty("template", bp.templateName());
    p.setProperty("runtimeClass", bp.runtimeClass().name());
    p.setProperty("image", bp.image());
    p.setProperty("cpuMillis", Long.toString(bp.cpuMillis()));
    p.setProperty("memoryBytes", Long.toString(bp.memoryBytes()));
    putList(p, "command.", bp.command());
    putList(p, "args.", bp.args());
    for (var e : bp.env().entrySet()) p.setProperty("env." + e.getKey(), e.getValue());
  }

  private static void putList(Properties p, String prefix, List<String> values) {
    p.setProperty(prefix + "n", Integer.toString(values.size()));
    for (int i = 0; i < values.size(); i++) p.setProperty(prefix + i, values.get(i));
  }

  private static List<String> getList(Properties p, String prefix) {
    int n = Integer.parseInt(p.getProperty(prefix + "n", "0"));
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) out.add(p.getProperty(prefix + i, ""));
    return out;
  }

  /** The blueprint a sandbox was started from, as written into its metadata. */
  private static SandboxBlueprint blueprintOf(Properties p) {
    Map<String, String> env = new LinkedHashMap<>();
    for (String k : p.stringPropertyNames()) {
      if (k.startsWith("env.")) env.put(k.substring(4), p.getProperty(k));
    }
    return new SandboxBlueprint(
        p.getProperty("template", ""),
        RuntimeClass.of(p.getProperty("runtimeClass", "")),
        p.getProperty("image", ""),
        getList(p, "command."),
        getList(p, "args."),
        env,
        Long.parseLong(p.getProperty("cpuMillis", "0")),
        Long.parseLong(p.getProperty("memoryBytes", "0")));
  }

  // ---------------------------------------------------------------- exec

  @Override
  public CompletionStage<ExecResult> exec(SandboxRef sandbox, ExecRequest request) {
    return execStreaming(sandbox, request, null);
  }

  @Override
  public CompletionStage<ExecResult> execStreaming(
      SandboxRef sandbox, ExecRequest request, OutputListener listener) {
    LocalSandbox sb = sandboxes.get(idOf(sandbox.pool(), sandbox.name()));
    if (sb == null || sb.deleteRequested || !sb.ready) {
      return CompletableFuture.failedFuture(
          new ExecException(
              ExecException.Kind.GONE, "sandbox " + sandbox.name() + " is not running"));
    }
    CompletableFuture<ExecResult> result = new CompletableFuture<>();
    try {
      execs.execute(
          () -> {
            try {
              result.complete(execBlocking(sb, request, listener));
            } catch (ExecException e) {
              result.completeExceptionally(e);
            } catch (IOException | RuntimeException e) {
              result.completeExceptionally(
                  new ExecException(
                      ExecException.Kind.RUNTIME_ERROR, "exec failed: " + e.getMessage()));
            }
          });
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(
          new ExecException(
              ExecException.Kind.BUSY,
              "all "
                  + config.execWorkers()
                  + " exec workers are busy and the exec queue is full; retry later"));
    }
    return result;
  }

  /** Runs one command in a sandbox. Worker threads only. */
  private ExecResult execBlocking(LocalSandbox sb, ExecRequest request, OutputListener listener)
      throws IOException {
    File stdin = null;
    try {
      if (request.stdin().length > 0) {
        stdin = sb.dir.resolve("exec-" + execSeq.incrementAndGet() + ".stdin").toFile();
        Files.write(stdin.toPath(), request.stdin());
      }
      List<String> command = execCommand(sb, request);
      ExecResult r =
          runner.run(
              command,
              stdin,
              hostEnv(),
              config.execOutputLimitBytes(),
              request.timeoutMs() + 5_000,
              listener);
      if (sb.deleteRequested || sb.dead) {
        throw new ExecException(
            ExecException.Kind.GONE, "sandbox " + sb.name + " stopped while the command ran");
      }
      // `timeout -s KILL` kills the command's process group: exit status 137 (SIGKILL) at the
      // deadline.
      boolean timedOut =
          r.timedOut()
              || (r.exitCode() == 137
                  && r.durationNs() >= TimeUnit.MILLISECONDS.toNanos(request.timeoutMs()));
      if (r.exitCode() == 125 && !timedOut && runtimeFailed(r)) {
        throw new ExecException(
            ExecException.Kind.RUNTIME_ERROR,
            "the runtime could not run the command: " + firstLine(r.stderr()));
      }
      return new ExecResult(
          r.exitCode(),
          r.stdout(),
          r.stderr(),
          r.stdoutTruncated(),
          r.stderrTruncated(),
          timedOut,
          r.durationNs());
    } finally {
      if (stdin != null) Files.deleteIfExists(stdin.toPath());
    }
  }

  private static boolean runtimeFailed(ExecResult r) {
    String err = new String(r.stderr(), StandardCharsets.UTF_8);
    return err.contains("nsenter:")
        || err.contains("setpriv:")
        || err.contains("runsc")
        || err.contains("timeout: failed");
  }

  /** The host command that runs {@code request} inside {@code sb}. */
  private List<String> execCommand(LocalSandbox sb, ExecRequest request) {
    Map<String, String> env = new LinkedHashMap<>(baseEnv(sb.blueprint));
    env.putAll(request.env());
    List<String> timeout =
        List.of(
            "timeout",
            "-s",
            "KILL",
            String.format(java.util.Locale.ROOT, "%.3f", request.timeoutMs() / 1000.0));
    List<String> cmd = new ArrayList<>();
    if (sb.runtime == LocalRuntime.GVISOR) {
      cmd.addAll(
          List.of(
              probe.runsc(), "--root", runscRoot.toString(), "exec", "--cwd", request.workdir()));
      if (root) cmd.addAll(List.of("--user", SANDBOX_UID + ":" + SANDBOX_UID));
      for (var e : env.entrySet()) cmd.addAll(List.of("--env", e.getKey() + "=" + e.getValue()));
      cmd.add(sb.id);
      cmd.addAll(timeout);
    } else {
      // nsenter's --wd leaves a cwd that getcwd() cannot name inside the new root: cd after
      // entering.
      cmd.addAll(
          List.of(
              probe.nsenter(),
              "-t",
              Long.toString(sb.initPid),
              "-U",
              "-m",
              "-p",
              "-n",
              "-i",
              "-u",
              "-r",
              "--",
              probe.setpriv(),
              "--no-new-privs",
              "--bounding-set=-all",
              "--inh-caps=-all",
              "env",
              "-i"));
      for (var e : env.entrySet()) cmd.add(e.getKey() + "=" + e.getValue());
      cmd.addAll(
          List.of("/bin/sh", "-c", "cd -- \"$0\" || exit 125; exec \"$@\"", request.workdir()));
      cmd.addAll(timeout);
    }
    cmd.addAll(request.command());
    return cmd;
  }

  private static Map<String, String> baseEnv(SandboxBlueprint bp) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PATH", PATH_ENV);
    env.put("HOME", ExecRequest.WORKSPACE);
    env.put("LANG", "C.UTF-8");
    env.putAll(bp.env());
    return env;
  }

  private static Map<String, String> hostEnv() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PATH", PATH_ENV);
    env.put("LANG", "C.UTF-8");
    return env;
  }

  // ---------------------------------------------------------------- start

  /** Starts a sandbox and waits until an exec answers. Lifecycle worker only. */
  private void start(LocalSandbox sb) {
    long t0 = System.nanoTime();
    String failure;
    try {
      String why = unavailableReason(sb.blueprint.runtimeClass());
      if (why != null) throw new IOException(why);
      if (!sb.blueprint.image().isEmpty() && imageLogged.add(sb.blueprint.templateName())) {
        LOG.info(
            "template {}: image {} is ignored by the local backend; sandboxes run the host's /usr, /etc, ... read-only",
            sb.blueprint.templateName(),
            sb.blueprint.image());
      }
      Files.createDirectories(sb.workspace);
      if (root) chown(sb.workspace);
      writeMeta(sb);
      if (sb.runtime == LocalRuntime.GVISOR) startGvisor(sb);
      else startBwrap(sb);
      failure = awaitExec(sb, t0);
    } catch (IOException | RuntimeException e) {
      failure = e.getMessage() == null ? e.toString() : e.getMessage();
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

  private String awaitExec(LocalSandbox sb, long t0) throws IOException {
    long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(config.readyTimeoutMs());
    String last = "no answer";
    long backoffNs = TimeUnit.MILLISECONDS.toNanos(2);
    while (!sb.deleteRequested) {
      if (sb.runtime == LocalRuntime.BWRAP && sb.initPid == 0) readInfo(sb);
      if (sb.runtime == LocalRuntime.BWRAP && sb.process != null && !sb.process.isAlive()) {
        return "bwrap exited with status "
            + sb.process.exitValue()
            + ": "
            + tail(sb.dir.resolve("runtime.log"));
      }
      if (sb.runtime == LocalRuntime.GVISOR || sb.initPid != 0) {
        ExecResult r =
            runner.run(
                execCommand(sb, new ExecRequest(List.of("true"), null, null, null, 5_000)),
                null,
                hostEnv(),
                4_096,
                10_000);
        if (r.exitCode() == 0) return null;
        last = "probe exit " + r.exitCode() + ": " + firstLine(r.stderr());
      }
      if (System.nanoTime() - deadline > 0)
        return "no exec answered within " + config.readyTimeoutMs() + " ms (" + last + ")";
      LockSupport.parkNanos(backoffNs);
      backoffNs = Math.min(backoffNs * 2, TimeUnit.MILLISECONDS.toNanos(100));
    }
    return "deleted while starting";
  }

  private void readInfo(LocalSandbox sb) throws IOException {
    Path info = sb.dir.resolve("bwrap-info.json");
    if (!Files.exists(info)) return;
    Matcher m = CHILD_PID.matcher(Files.readString(info));
    if (m.find()) {
      sb.initPid = Long.parseLong(m.group(1));
      sb.initStart = startTimeOf(sb.initPid);
      writeMeta(sb);
    }
  }

  private void startBwrap(LocalSandbox sb) throws IOException {
    List<String> cmd = new ArrayList<>();
    // sh opens the info file as fd 3 (bwrap writes the namespace init's pid there), then becomes
    // bwrap.
    cmd.addAll(
        List.of(
            "/bin/sh",
            "-c",
            "exec 3>\"$0\"; exec \"$@\"",
            sb.dir.resolve("bwrap-info.json").toString()));
    if (root) {
      cmd.addAll(
          List.of(
              probe.setpriv(),
              "--reuid=" + SANDBOX_UID,
              "--regid=" + SANDBOX_UID,
              "--clear-groups"));
    }
    cmd.addAll(
        List.of(
            probe.bwrap(),
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
            hostname(sb.name),
            "--new-session",
            "--info-fd",
            "3"));
    for (String entry : hostRootEntries()) {
      Path host = Path.of("/", entry);
      if (Files.isSymbolicLink(host)) {
        cmd.addAll(List.of("--symlink", Files.readSymbolicLink(host).toString(), "/" + entry));
      } else if (HOST_DIRS.contains(entry) && Files.isDirectory(host)) {
        cmd.addAll(List.of("--ro-bind", host.toString(), host.toString()));
      }
    }
    cmd.addAll(List.of("--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"));
    maskStateDir(cmd);
    cmd.addAll(
        List.of(
            "--bind",
            sb.workspace.toString(),
            ExecRequest.WORKSPACE,
            "--remount-ro",
            "/",
            "--chdir",
            ExecRequest.WORKSPACE,
            "--clearenv"));
    for (var e : baseEnv(sb.blueprint).entrySet())
      cmd.addAll(List.of("--setenv", e.getKey(), e.getValue()));
    cmd.addAll(containerCommand(sb.blueprint));
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectInput(new File("/dev/null"))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(sb.dir.resolve("runtime.log").toFile());
    pb.environment().clear();
    pb.environment().putAll(hostEnv());
    sb.process = pb.start();
    sb.outerPid = sb.process.pid();
    sb.outerStart = startTimeOf(sb.outerPid);
    writeMeta(sb);
  }

  /** The state dir is under a host directory a sandbox sees: hide it behind an empty tmpfs. */
  private void maskStateDir(List<String> bwrapArgs) {
    if (stateDir.getNameCount() == 0) return;
    if (HOST_DIRS.contains(stateDir.getName(0).toString()))
      bwrapArgs.addAll(List.of("--tmpfs", stateDir.toString()));
  }

  private void startGvisor(LocalSandbox sb) throws IOException {
    Path bundle = sb.dir.resolve("bundle");
    Files.createDirectories(bundle);
    Files.writeString(bundle.resolve("config.json"), ociSpec(sb));
    boolean cgroups =
        runscCgroups.get() && (sb.blueprint.cpuMillis() > 0 || sb.blueprint.memoryBytes() > 0);
    ExecResult r = runRunsc(sb, bundle, cgroups);
    if (r.exitCode() != 0 && cgroups) {
      if (runscCgroups.compareAndSet(true, false)) {
        LOG.warn(
            "runsc could not apply cgroup limits ({}); gVisor sandboxes now start with --ignore-cgroups: CPU/memory limits are NOT enforced",
            firstLine(r.stderr()));
      }
      runner.run(
          List.of(probe.runsc(), "--root", runscRoot.toString(), "delete", "-force", sb.id),
          null,
          hostEnv(),
          4_096,
          DELETE_TIMEOUT_MS);
      r = runRunsc(sb, bundle, false);
    }
    if (r.exitCode() != 0) {
      throw new IOException(
          "runsc run failed (exit "
              + r.exitCode()
              + "): "
              + firstLine(r.stderr())
              + " "
              + tail(sb.dir.resolve("runtime.log")));
    }
    String pid =
        Files.exists(sb.dir.resolve("runsc.pid"))
            ? Files.readString(sb.dir.resolve("runsc.pid")).trim()
            : "";
    if (!pid.isEmpty()) {
      sb.outerPid = Long.parseLong(pid);
      sb.outerStart = startTimeOf(sb.outerPid);
      writeMeta(sb);
    }
  }

  private ExecResult runRunsc(LocalSandbox sb, Path bundle, boolean cgroups) throws IOException {
    List<String> cmd =
        new ArrayList<>(List.of(probe.runsc(), "--root", runscRoot.toString(), "--network=none"));
    if (!cgroups) cmd.add("--ignore-cgroups");
    cmd.addAll(
        List.of(
            "run",
            "-detach",
            "-pid-file",
            sb.dir.resolve("runsc.pid").toString(),
            "-bundle",
            bundle.toString(),
            sb.id));
    // The detached sandbox keeps runsc's stdout/stderr: send them to a log, not to our pipes.
    List<String> sh =
        new ArrayList<>(
            List.of(
                "/bin/sh",
                "-c",
                "exec \"$@\" >>\"$0\" 2>&1",
                sb.dir.resolve("runtime.log").toString()));
    sh.addAll(cmd);
    return runner.run(sh, null, hostEnv(), 8_192, 60_000);
  }

  private String ociSpec(LocalSandbox sb) {
    StringBuilder mounts = new StringBuilder();
    mount(mounts, "/proc", "proc", "proc", List.of());
    mount(mounts, "/tmp", "tmpfs", "tmpfs", List.of("nosuid", "nodev", "mode=1777"));
    for (String entry : hostRootEntries()) {
      Path host = Path.of("/", entry);
      if (!Files.isSymbolicLink(host) && HOST_DIRS.contains(entry) && Files.isDirectory(host)) {
        mount(mounts, host.toString(), "bind", host.toString(), List.of("rbind", "ro"));
      }
    }
    if (stateDir.getNameCount() > 0 && HOST_DIRS.contains(stateDir.getName(0).toString())) {
      mount(mounts, stateDir.toString(), "tmpfs", "tmpfs", List.of("ro", "size=4k"));
    }
    mount(mounts, ExecRequest.WORKSPACE, "bind", sb.workspace.toString(), List.of("rbind", "rw"));
    String user =
        root
            ? "{\"uid\":" + SANDBOX_UID + ",\"gid\":" + SANDBOX_UID + "}"
            : "{\"uid\":0,\"gid\":0}";
    StringBuilder env = new StringBuilder();
    for (var e : baseEnv(sb.blueprint).entrySet()) {
      if (env.length() > 0) env.append(',');
      env.append(Json.quote(e.getKey() + "=" + e.getValue()));
    }
    StringBuilder resources = new StringBuilder();
    if (sb.blueprint.memoryBytes() > 0)
      resources.append("\"memory\":{\"limit\":").append(sb.blueprint.memoryBytes()).append('}');
    if (sb.blueprint.cpuMillis() > 0) {
      if (resources.length() > 0) resources.append(',');
      resources
          .append("\"cpu\":{\"period\":100000,\"quota\":")
          .append(sb.blueprint.cpuMillis() * 100)
          .append('}');
    }
    return "{\"ociVersion\":\"1.0.0\","
        + "\"process\":{\"terminal\":false,\"user\":"
        + user
        + ",\"args\":"
        + Json.array(containerCommand(sb.blueprint))
        + ",\"env\":["
        + env
        + "],\"cwd\":\"/workspace\"},"
        + "\"root\":{\"path\":"
        + Json.quote(rootfs.toString())
        + ",\"readonly\":true},"
        + "\"hostname\":"
        + Json.quote(hostname(sb.name))
        + ","
        + "\"mounts\":["
        + mounts
        + "],"
        + "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"mount\"}],"
        + "\"cgroupsPath\":"
        + Json.quote("/agent-sandbox/" + sb.id)
        + ",\"resources\":{"
        + resources
        + "}}}";
  }

  private static void mount(
      StringBuilder out, String dest, String type, String source, List<String> options) {
    if (out.length() > 0) out.append(',');
    out.append("{\"destination\":")
        .append(Json.quote(dest))
        .append(",\"type\":")
        .append(Json.quote(type))
        .append(",\"source\":")
        .append(Json.quote(source))
        .append(",\"options\":")
        .append(Json.array(options))
        .append('}');
  }

  private static List<String> containerCommand(SandboxBlueprint bp) {
    if (bp.command().isEmpty() && bp.args().isEmpty()) return IDLE_INIT;
    List<String> cmd = new ArrayList<>(bp.command());
    cmd.addAll(bp.args());
    return cmd;
  }

  /** Top-level names of the host's root directory. */
  private static List<String> hostRootEntries() {
    List<String> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/"))) {
      for (Path p : ds) out.add(p.getFileName().toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.sort(null);
    return out;
  }

  /** Watches a ready sandbox: if it dies unasked, report it failed and clean up. */
  private void watch(LocalSandbox sb) {
    CompletableFuture<?> exit;
    if (sb.process != null) {
      exit = sb.process.onExit();
    } else {
      var handle =
          sb.outerPid == 0
              ? java.util.Optional.<ProcessHandle>empty()
              : ProcessHandle.of(sb.outerPid);
      if (handle.isEmpty()) return;
      exit = handle.get().onExit();
    }
    exit.thenRun(
        () -> {
          if (sb.deleteRequested || closed.get()) return;
          sb.dead = true;
          try {
            lifecycle.execute(
                () -> {
                  if (sb.deleteRequested) return;
                  LOG.warn(
                      "sandbox {} ({}) exited on its own: {}",
                      sb.id,
                      sb.runtime.wireName(),
                      tail(sb.dir.resolve("runtime.log")));
                  destroy(sb);
                  sb.listener.onSandboxFailed(sb.pool, sb.name, "the sandbox's process exited");
                });
          } catch (RejectedExecutionException e) {
            // shutting down
          }
        });
  }

  // ---------------------------------------------------------------- destroy

  /** Kills a sandbox's processes and removes its state. Idempotent; lifecycle worker only. */
  private void destroy(LocalSandbox sb) {
    synchronized (sb) {
      if (sb.destroyed) return;
      sb.destroyed = true;
      sb.deleteRequested = true;
      try {
        killAndRemove(
            sb.id, sb.runtime, sb.initPid, sb.initStart, sb.outerPid, sb.outerStart, sb.dir);
        if (sb.process != null) sb.process.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        sandboxes.remove(sb.id, sb);
      }
    }
  }

  private void killAndRemove(
      String id,
      LocalRuntime runtime,
      long initPid,
      long initStart,
      long outerPid,
      long outerStart,
      Path dir) {
    if (runtime == LocalRuntime.GVISOR
        || Files.exists(runscRoot.resolve(id + ".state"))
        || Files.exists(dir.resolve("bundle"))) {
      try {
        runner.run(
            List.of(probe.runsc(), "--root", runscRoot.toString(), "delete", "-force", id),
            null,
            hostEnv(),
            4_096,
            DELETE_TIMEOUT_MS);
      } catch (IOException e) {
        LOG.warn("runsc delete {} failed: {}", id, e.getMessage());
      }
    }
    // bwrap: SIGKILL to the namespace's init ends every process in the sandbox's PID namespace.
    killIfSame(initPid, initStart);
    killIfSame(outerPid, outerStart);
    deleteTree(dir);
  }

  /** Kills a pid only if it is still the process we started (same start time): pids are reused. */
  private static void killIfSame(long pid, long startTime) {
    if (pid <= 1 || startTime <= 0) return;
    if (startTimeOf(pid) != startTime) return;
    ProcessHandle.of(pid)
        .ifPresent(
            h -> {
              h.descendants().forEach(ProcessHandle::destroyForcibly);
              h.destroyForcibly();
              try {
                h.onExit().get(5, TimeUnit.SECONDS);
              } catch (Exception e) {
                // gone or stuck; the directory is removed regardless
              }
            });
  }

  /** Start time of a process in clock ticks since boot (field 22 of /proc/pid/stat), 0 if gone. */
  static long startTimeOf(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[19]);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  // ---------------------------------------------------------------- state dir

  /** Builds the rootfs skeleton and destroys leftovers of a previous run. */
  private void prepare() throws IOException {
    Files.createDirectories(sandboxesDir);
    Files.setPosixFilePermissions(sandboxesDir, PosixFilePermissions.fromString("rwx--x--x"));
    Files.createDirectories(runscRoot);
    Files.setPosixFilePermissions(runscRoot, PosixFilePermissions.fromString("rwx------"));
    // NOTE: the rootfs skeleton is kept, not rebuilt: kept gVisor sandboxes of a previous run use
    // it.
    Files.createDirectories(rootfs);
    for (String entry : hostRootEntries()) {
      Path host = Path.of("/", entry);
      Path skeleton = rootfs.resolve(entry);
      if (Files.isSymbolicLink(host)) {
        if (!Files.exists(skeleton, LinkOption.NOFOLLOW_LINKS))
          Files.createSymbolicLink(skeleton, Files.readSymbolicLink(host));
      } else if (HOST_DIRS.contains(entry) && Files.isDirectory(host)) {
        Files.createDirectories(skeleton);
      }
    }
    for (String d : List.of("proc", "tmp", "dev", "sys", "workspace"))
      Files.createDirectories(rootfs.resolve(d));
    Files.setPosixFilePermissions(rootfs, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private void reap(Path dir) {
    Properties meta = new Properties();
    try {
      meta.load(Files.newBufferedReader(dir.resolve("meta.properties")));
    } catch (IOException e) {
      // no meta: nothing was started
    }
    LocalRuntime runtime = LocalRuntime.parse(meta.getProperty("runtime", "bwrap"));
    killAndRemove(
        dir.getFileName().toString(),
        runtime,
        Long.parseLong(meta.getProperty("initPid", "0")),
        Long.parseLong(meta.getProperty("initStart", "0")),
        Long.parseLong(meta.getProperty("outerPid", "0")),
        Long.parseLong(meta.getProperty("outerStart", "0")),
        dir);
  }

  private void writeMeta(LocalSandbox sb) throws IOException {
    Properties p = new Properties();
    p.setProperty("namespace", sb.pool.namespace());
    p.setProperty("pool", sb.pool.name());
    p.setProperty("sandbox", sb.name);
    p.setProperty("runtime", sb.runtime.wireName());
    p.setProperty("outerPid", Long.toString(sb.outerPid));
    p.setProperty("outerStart", Long.toString(sb.outerStart));
    p.setProperty("initPid", Long.toString(sb.initPid));
    p.setProperty("initStart", Long.toString(sb.initStart));
    putBlueprint(p, sb.blueprint);
    Path tmp = sb.dir.resolve("meta.properties.tmp");
    try (var w = Files.newBufferedWriter(tmp)) {
      p.store(w, "agent-sandbox local sandbox");
    }
    Files.move(
        tmp,
        sb.dir.resolve("meta.properties"),
        java.nio.file.StandardCopyOption.ATOMIC_MOVE,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  private static void chown(Path p) throws IOException {
    Files.setAttribute(p, "unix:uid", SANDBOX_UID, LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(p, "unix:gid", SANDBOX_UID, LinkOption.NOFOLLOW_LINKS);
  }

  /** Deletes a directory tree without following symlinks; makes directories writable as needed. */
  static void deleteTree(Path dir) {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return;
    try {
      Files.walkFileTree(
          dir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
              d.toFile().setWritable(true, true);
              d.toFile().setExecutable(true, true);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
              Files.deleteIfExists(f);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
              Files.deleteIfExists(f);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
              Files.deleteIfExists(d);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (NoSuchFileException e) {
      // gone already
    } catch (IOException e) {
      LOG.warn("cannot remove {}: {}", dir, e.toString());
    }
  }

  // ---------------------------------------------------------------- close

  /**
   * Destroys every sandbox and stops the worker pools. Blocking (bounded, about 30 s at most): call
   * from a worker or the shutdown thread, never an event loop. Idempotent.
   */
  public void close() {
    if (!closed.compareAndSet(false, true)) return;
    List<LocalSandbox> all = new ArrayList<>(sandboxes.values());
    for (LocalSandbox sb : all) sb.deleteRequested = true;
    List<CompletableFuture<Void>> done = new ArrayList<>();
    for (LocalSandbox sb : all) done.add(CompletableFuture.runAsync(() -> destroy(sb), lifecycle));
    try {
      CompletableFuture.allOf(done.toArray(new CompletableFuture<?>[0]))
          .get(DELETE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      LOG.warn(
          "local backend: not every sandbox was destroyed at shutdown ({}); the next start removes them",
          e.toString());
    }
    lifecycle.shutdownNow();
    execs.shutdownNow();
    pipes.shutdownNow();
    bindings.shutdownNow();
    try {
      lock.release();
    } catch (IOException e) {
      // closing anyway
    }
    closeQuietly(lockChannel);
    LOG.info("local backend: {} sandbox(es) destroyed at shutdown", all.size());
  }

  /**
   * Test hook simulating a crash ({@code kill -9}): stops the workers and drops the state-dir lock
   * without destroying anything, so a new instance can open the same state dir and must clean up.
   */
  void releaseLockForTest() throws IOException {
    closed.set(true);
    lifecycle.shutdownNow();
    execs.shutdownNow();
    pipes.shutdownNow();
    bindings.shutdownNow();
    lock.release();
    lockChannel.close();
  }

  /** Sandboxes currently known (starting, ready or being deleted). Any thread. */
  public int sandboxCount() {
    return sandboxes.size();
  }

  // ---------------------------------------------------------------- helpers

  static String idOf(PoolKey pool, String sandboxName) {
    return pool.namespace() + "_" + sandboxName;
  }

  private static String hostname(String name) {
    return name.length() <= 63 ? name : name.substring(0, 63);
  }

  private static String firstLine(byte[] b) {
    String s = new String(b, StandardCharsets.UTF_8).strip();
    int nl = s.indexOf('\n');
    s = nl < 0 ? s : s.substring(0, nl);
    return s.length() > 300 ? s.substring(0, 300) : s;
  }

  private static String tail(Path log) {
    try {
      String s = Files.readString(log).strip();
      return s.length() > 300 ? s.substring(s.length() - 300) : s;
    } catch (IOException e) {
      return "";
    }
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch == null) return;
    try {
      ch.close();
    } catch (IOException e) {
      // ignore
    }
  }

  private static ThreadPoolExecutor pool(
      String prefix, int threads, java.util.concurrent.BlockingQueue<Runnable> queue) {
    AtomicInteger n = new AtomicInteger();
    ThreadFactory tf =
        r -> {
          Thread t = new Thread(r, prefix + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        };
    ThreadPoolExecutor ex =
        new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, queue, tf);
    ex.allowCoreThreadTimeOut(true);
    return ex;
  }

  /** One sandbox. Fields are written by the lifecycle worker that starts it and read by others. */
  private static final class LocalSandbox {
    final String id;
    final PoolKey pool;
    final String name;
    final LocalRuntime runtime;
    final SandboxBlueprint blueprint;
    final ProvisionListener listener;
    final Path dir;
    final Path workspace;
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
    // guarded by this
    boolean destroyed;

    LocalSandbox(
        String id,
        PoolKey pool,
        String name,
        LocalRuntime runtime,
        SandboxBlueprint blueprint,
        ProvisionListener listener,
        Path dir) {
      this.id = id;
      this.pool = pool;
      this.name = name;
      this.runtime = runtime;
      this.blueprint = blueprint;
      this.listener = listener;
      this.dir = dir;
      this.workspace = dir.resolve("workspace");
    }
  }
}
