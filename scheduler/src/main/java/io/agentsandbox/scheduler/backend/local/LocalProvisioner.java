package io.agentsandbox.scheduler.backend.local;

import io.agentsandbox.core.model.ExecRequest;
import io.agentsandbox.core.model.ExecResult;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxBlueprint;
import io.agentsandbox.core.model.SandboxRef;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
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
 * <p>Thread-safe. {@link #create}, {@link #delete} and {@link #exec} return at once; every process is
 * started and waited for on the backend's own bounded pools ({@code local-runtime-<n>} for
 * start/probe/delete, {@code local-exec-<n>} for execs, {@code local-exec-io-<n>} for output pipes),
 * never on the caller's thread. Results reach the {@link ProvisionListener} from those threads.
 *
 * <p>Lifecycle: sandboxes are started detached (they are not children that die with the server).
 * A clean {@link #close()} destroys them all. After a crash, the next {@link #open} finds every
 * sandbox of the previous run in the state directory and destroys it (process tree, runsc state and
 * workspace), so nothing is orphaned; claims do not survive a restart.
 */
public final class LocalProvisioner implements SandboxProvisioner, SandboxExecutor {

  private static final Logger LOG = LoggerFactory.getLogger(LocalProvisioner.class);

  /** The unprivileged host uid/gid sandboxes run as when the server runs as root. */
  static final int SANDBOX_UID = 65534;
  static final String PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  /** Host top-level directories a sandbox sees (read-only); everything else is absent. */
  static final Set<String> HOST_DIRS = Set.of("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "opt", "var");
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
  private final ProcessRunner runner;
  private final ConcurrentHashMap<String, LocalSandbox> sandboxes = new ConcurrentHashMap<>();
  private final AtomicBoolean runscCgroups;
  private final AtomicLong execSeq = new AtomicLong();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Set<String> imageLogged = ConcurrentHashMap.newKeySet();
  /** Why bubblewrap sandboxes cannot reach their workspace under the state dir, or null. */
  private final String bwrapStateProblem;

  private LocalProvisioner(LocalBackendConfig config, Path stateDir, HostProbe probe, FileChannel lockChannel, FileLock lock) {
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
    this.lifecycle = pool("local-runtime-", config.lifecycleWorkers(), new LinkedBlockingQueue<>(100_000));
    this.execs = pool("local-exec-", config.execWorkers(), new ArrayBlockingQueue<>(4 * config.execWorkers()));
    this.pipes = pool("local-exec-io-", 2 * config.execWorkers() + 2 * config.lifecycleWorkers(), new LinkedBlockingQueue<>());
    this.runner = new ProcessRunner(pipes);
    this.bwrapStateProblem = probe.root() ? unreachableByOthers(stateDir) : null;
  }

  /** bwrap runs as uid 65534 and must walk down to the workspaces: every ancestor needs o+x. */
  private static String unreachableByOthers(Path dir) {
    for (Path p = dir; p != null; p = p.getParent()) {
      try {
        if (!Files.getPosixFilePermissions(p).contains(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE)) {
          return "the state dir " + dir + " is not reachable by the sandbox user (uid " + SANDBOX_UID + "): " + p
              + " lacks o+x; use a --state-dir whose parent directories are world-searchable (e.g. /var/lib/agent-sandbox)";
        }
      } catch (IOException e) {
        return "cannot inspect " + p + ": " + e.getMessage();
      }
    }
    return null;
  }

  /**
   * Opens the backend: probes {@code runsc} and {@code bwrap}, locks the state directory and destroys
   * whatever a previous run left in it. Blocking (runs processes): never call on an event loop.
   *
   * @throws IllegalStateException when the state directory cannot be used or is locked by another
   *     server
   */
  public static LocalProvisioner open(LocalBackendConfig config) {
    config.validate();
    HostProbe probe = HostProbe.run(config);
    Path dir = config.stateDir().toAbsolutePath().normalize();
    FileChannel ch = null;
    try {
      Files.createDirectories(dir);
      ch = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = ch.tryLock();
      } catch (java.nio.channels.OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        ch.close();
        throw new IllegalStateException("state dir " + dir + " is in use by another agent-sandbox server (" + dir.resolve("lock") + " is locked)");
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
    return probe.gvisorReason() == null || (probe.bwrapReason() == null && bwrapStateProblem == null);
  }

  public Path stateDir() {
    return stateDir;
  }

  // ---------------------------------------------------------------- runtime classes

  /** The local runtime of a runtime class, or null when it has none (see {@link #unavailableReason}). */
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
      return "runtime class " + rc.displayName() + " has no runtime on the local backend (only gvisor and the default/runc run on one host); "
          + "map it to one with --runtime-map " + rc.displayName() + "=gvisor (or =bwrap)";
    }
    String why = runtime == LocalRuntime.GVISOR ? probe.gvisorReason() : probe.bwrapReason() != null ? probe.bwrapReason() : bwrapStateProblem;
    return why == null ? null : "runtime class " + rc.displayName() + " runs on " + runtime.wireName() + ", which is not usable here: " + why;
  }

  // ---------------------------------------------------------------- provisioner

  @Override
  public void create(PoolKey pool, String sandboxName, SandboxBlueprint blueprint, ProvisionListener listener) {
    String id = idOf(pool, sandboxName);
    LocalRuntime runtime = runtimeOf(blueprint.runtimeClass());
    LocalSandbox sb = new LocalSandbox(id, pool, sandboxName, runtime, blueprint, listener, sandboxesDir.resolve(id));
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
      listener.onSandboxFailed(pool, sandboxName, "the local backend is overloaded (start queue full)");
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
      lifecycle.execute(() -> {
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

  // ---------------------------------------------------------------- exec

  @Override
  public CompletionStage<ExecResult> exec(SandboxRef sandbox, ExecRequest request) {
    LocalSandbox sb = sandboxes.get(idOf(sandbox.pool(), sandbox.name()));
    if (sb == null || sb.deleteRequested || !sb.ready) {
      return CompletableFuture.failedFuture(new ExecException(ExecException.Kind.GONE, "sandbox " + sandbox.name() + " is not running"));
    }
    CompletableFuture<ExecResult> result = new CompletableFuture<>();
    try {
      execs.execute(() -> {
        try {
          result.complete(execBlocking(sb, request));
        } catch (ExecException e) {
          result.completeExceptionally(e);
        } catch (IOException | RuntimeException e) {
          result.completeExceptionally(new ExecException(ExecException.Kind.RUNTIME_ERROR, "exec failed: " + e.getMessage()));
        }
      });
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(new ExecException(ExecException.Kind.BUSY,
          "all " + config.execWorkers() + " exec workers are busy and the exec queue is full; retry later"));
    }
    return result;
  }

  /** Runs one command in a sandbox. Worker threads only. */
  private ExecResult execBlocking(LocalSandbox sb, ExecRequest request) throws IOException {
    File stdin = null;
    try {
      if (request.stdin().length > 0) {
        stdin = sb.dir.resolve("exec-" + execSeq.incrementAndGet() + ".stdin").toFile();
        Files.write(stdin.toPath(), request.stdin());
      }
      List<String> command = execCommand(sb, request);
      ExecResult r = runner.run(command, stdin, hostEnv(), config.execOutputLimitBytes(), request.timeoutMs() + 5_000);
      if (sb.deleteRequested || sb.dead) {
        throw new ExecException(ExecException.Kind.GONE, "sandbox " + sb.name + " stopped while the command ran");
      }
      // `timeout -s KILL` kills the command's process group: exit status 137 (SIGKILL) at the deadline.
      boolean timedOut = r.timedOut() || (r.exitCode() == 137 && r.durationNs() >= TimeUnit.MILLISECONDS.toNanos(request.timeoutMs()));
      if (r.exitCode() == 125 && !timedOut && runtimeFailed(r)) {
        throw new ExecException(ExecException.Kind.RUNTIME_ERROR, "the runtime could not run the command: " + firstLine(r.stderr()));
      }
      return new ExecResult(r.exitCode(), r.stdout(), r.stderr(), r.stdoutTruncated(), r.stderrTruncated(), timedOut, r.durationNs());
    } finally {
      if (stdin != null) Files.deleteIfExists(stdin.toPath());
    }
  }

  private static boolean runtimeFailed(ExecResult r) {
    String err = new String(r.stderr(), StandardCharsets.UTF_8);
    return err.contains("nsenter:") || err.contains("setpriv:") || err.contains("runsc") || err.contains("timeout: failed");
  }

  /** The host command that runs {@code request} inside {@code sb}. */
  private List<String> execCommand(LocalSandbox sb, ExecRequest request) {
    Map<String, String> env = new LinkedHashMap<>(baseEnv(sb.blueprint));
    env.putAll(request.env());
    List<String> timeout = List.of("timeout", "-s", "KILL", String.format(java.util.Locale.ROOT, "%.3f", request.timeoutMs() / 1000.0));
    List<String> cmd = new ArrayList<>();
    if (sb.runtime == LocalRuntime.GVISOR) {
      cmd.addAll(List.of(probe.runsc(), "--root", runscRoot.toString(), "exec", "--cwd", request.workdir()));
      if (root) cmd.addAll(List.of("--user", SANDBOX_UID + ":" + SANDBOX_UID));
      for (var e : env.entrySet()) cmd.addAll(List.of("--env", e.getKey() + "=" + e.getValue()));
      cmd.add(sb.id);
      cmd.addAll(timeout);
    } else {
      // nsenter's --wd leaves a cwd that getcwd() cannot name inside the new root: cd after entering.
      cmd.addAll(List.of(probe.nsenter(), "-t", Long.toString(sb.initPid), "-U", "-m", "-p", "-n", "-i", "-u", "-r",
          "--", probe.setpriv(), "--no-new-privs", "--bounding-set=-all", "--inh-caps=-all", "env", "-i"));
      for (var e : env.entrySet()) cmd.add(e.getKey() + "=" + e.getValue());
      cmd.addAll(List.of("/bin/sh", "-c", "cd -- \"$0\" || exit 125; exec \"$@\"", request.workdir()));
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
        LOG.info("template {}: image {} is ignored by the local backend; sandboxes run the host's /usr, /etc, ... read-only",
            sb.blueprint.templateName(), sb.blueprint.image());
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
      LOG.debug("sandbox {} ({}) ready in {} ms", sb.id, sb.runtime.wireName(), (System.nanoTime() - t0) / 1_000_000);
      sb.listener.onSandboxReady(sb.pool, sb.name, List.of());
      return;
    }
    if (failure == null) failure = "deleted while starting";
    LOG.warn("sandbox {} ({}) failed to start: {}", sb.id, sb.runtime == null ? "none" : sb.runtime.wireName(), failure);
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
        return "bwrap exited with status " + sb.process.exitValue() + ": " + tail(sb.dir.resolve("runtime.log"));
      }
      if (sb.runtime == LocalRuntime.GVISOR || sb.initPid != 0) {
        ExecResult r = runner.run(execCommand(sb, new ExecRequest(List.of("true"), null, null, null, 5_000)), null, hostEnv(), 4_096, 10_000);
        if (r.exitCode() == 0) return null;
        last = "probe exit " + r.exitCode() + ": " + firstLine(r.stderr());
      }
      if (System.nanoTime() - deadline > 0) return "no exec answered within " + config.readyTimeoutMs() + " ms (" + last + ")";
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
    // sh opens the info file as fd 3 (bwrap writes the namespace init's pid there), then becomes bwrap.
    cmd.addAll(List.of("/bin/sh", "-c", "exec 3>\"$0\"; exec \"$@\"", sb.dir.resolve("bwrap-info.json").toString()));
    if (root) {
      cmd.addAll(List.of(probe.setpriv(), "--reuid=" + SANDBOX_UID, "--regid=" + SANDBOX_UID, "--clear-groups"));
    }
    cmd.addAll(List.of(probe.bwrap(), "--unshare-user", "--uid", "0", "--gid", "0", "--unshare-pid", "--unshare-net",
        "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", hostname(sb.name), "--new-session",
        "--info-fd", "3"));
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
    cmd.addAll(List.of("--bind", sb.workspace.toString(), ExecRequest.WORKSPACE, "--remount-ro", "/", "--chdir", ExecRequest.WORKSPACE,
        "--clearenv"));
    for (var e : baseEnv(sb.blueprint).entrySet()) cmd.addAll(List.of("--setenv", e.getKey(), e.getValue()));
    cmd.addAll(containerCommand(sb.blueprint));
    ProcessBuilder pb = new ProcessBuilder(cmd)
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
    if (HOST_DIRS.contains(stateDir.getName(0).toString())) bwrapArgs.addAll(List.of("--tmpfs", stateDir.toString()));
  }

  private void startGvisor(LocalSandbox sb) throws IOException {
    Path bundle = sb.dir.resolve("bundle");
    Files.createDirectories(bundle);
    Files.writeString(bundle.resolve("config.json"), ociSpec(sb));
    boolean cgroups = runscCgroups.get() && (sb.blueprint.cpuMillis() > 0 || sb.blueprint.memoryBytes() > 0);
    ExecResult r = runRunsc(sb, bundle, cgroups);
    if (r.exitCode() != 0 && cgroups) {
      if (runscCgroups.compareAndSet(true, false)) {
        LOG.warn("runsc could not apply cgroup limits ({}); gVisor sandboxes now start with --ignore-cgroups: CPU/memory limits are NOT enforced",
            firstLine(r.stderr()));
      }
      runner.run(List.of(probe.runsc(), "--root", runscRoot.toString(), "delete", "-force", sb.id), null, hostEnv(), 4_096, DELETE_TIMEOUT_MS);
      r = runRunsc(sb, bundle, false);
    }
    if (r.exitCode() != 0) {
      throw new IOException("runsc run failed (exit " + r.exitCode() + "): " + firstLine(r.stderr()) + " " + tail(sb.dir.resolve("runtime.log")));
    }
    String pid = Files.exists(sb.dir.resolve("runsc.pid")) ? Files.readString(sb.dir.resolve("runsc.pid")).trim() : "";
    if (!pid.isEmpty()) {
      sb.outerPid = Long.parseLong(pid);
      sb.outerStart = startTimeOf(sb.outerPid);
      writeMeta(sb);
    }
  }

  private ExecResult runRunsc(LocalSandbox sb, Path bundle, boolean cgroups) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(probe.runsc(), "--root", runscRoot.toString(), "--network=none"));
    if (!cgroups) cmd.add("--ignore-cgroups");
    cmd.addAll(List.of("run", "-detach", "-pid-file", sb.dir.resolve("runsc.pid").toString(), "-bundle", bundle.toString(), sb.id));
    // The detached sandbox keeps runsc's stdout/stderr: send them to a log, not to our pipes.
    List<String> sh = new ArrayList<>(List.of("/bin/sh", "-c", "exec \"$@\" >>\"$0\" 2>&1", sb.dir.resolve("runtime.log").toString()));
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
    String user = root ? "{\"uid\":" + SANDBOX_UID + ",\"gid\":" + SANDBOX_UID + "}" : "{\"uid\":0,\"gid\":0}";
    StringBuilder env = new StringBuilder();
    for (var e : baseEnv(sb.blueprint).entrySet()) {
      if (env.length() > 0) env.append(',');
      env.append(Json.quote(e.getKey() + "=" + e.getValue()));
    }
    StringBuilder resources = new StringBuilder();
    if (sb.blueprint.memoryBytes() > 0) resources.append("\"memory\":{\"limit\":").append(sb.blueprint.memoryBytes()).append('}');
    if (sb.blueprint.cpuMillis() > 0) {
      if (resources.length() > 0) resources.append(',');
      resources.append("\"cpu\":{\"period\":100000,\"quota\":").append(sb.blueprint.cpuMillis() * 100).append('}');
    }
    return "{\"ociVersion\":\"1.0.0\","
        + "\"process\":{\"terminal\":false,\"user\":" + user + ",\"args\":" + Json.array(containerCommand(sb.blueprint))
        + ",\"env\":[" + env + "],\"cwd\":\"/workspace\"},"
        + "\"root\":{\"path\":" + Json.quote(rootfs.toString()) + ",\"readonly\":true},"
        + "\"hostname\":" + Json.quote(hostname(sb.name)) + ","
        + "\"mounts\":[" + mounts + "],"
        + "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"mount\"}],"
        + "\"cgroupsPath\":" + Json.quote("/agent-sandbox/" + sb.id)
        + ",\"resources\":{" + resources + "}}}";
  }

  private static void mount(StringBuilder out, String dest, String type, String source, List<String> options) {
    if (out.length() > 0) out.append(',');
    out.append("{\"destination\":").append(Json.quote(dest)).append(",\"type\":").append(Json.quote(type))
        .append(",\"source\":").append(Json.quote(source)).append(",\"options\":").append(Json.array(options)).append('}');
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
      var handle = sb.outerPid == 0 ? java.util.Optional.<ProcessHandle>empty() : ProcessHandle.of(sb.outerPid);
      if (handle.isEmpty()) return;
      exit = handle.get().onExit();
    }
    exit.thenRun(() -> {
      if (sb.deleteRequested || closed.get()) return;
      sb.dead = true;
      try {
        lifecycle.execute(() -> {
          if (sb.deleteRequested) return;
          LOG.warn("sandbox {} ({}) exited on its own: {}", sb.id, sb.runtime.wireName(), tail(sb.dir.resolve("runtime.log")));
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
        killAndRemove(sb.id, sb.runtime, sb.initPid, sb.initStart, sb.outerPid, sb.outerStart, sb.dir);
        if (sb.process != null) sb.process.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        sandboxes.remove(sb.id, sb);
      }
    }
  }

  private void killAndRemove(String id, LocalRuntime runtime, long initPid, long initStart, long outerPid, long outerStart, Path dir) {
    if (runtime == LocalRuntime.GVISOR || Files.exists(runscRoot.resolve(id + ".state")) || Files.exists(dir.resolve("bundle"))) {
      try {
        runner.run(List.of(probe.runsc(), "--root", runscRoot.toString(), "delete", "-force", id), null, hostEnv(), 4_096, DELETE_TIMEOUT_MS);
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
    ProcessHandle.of(pid).ifPresent(h -> {
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
    deleteTree(rootfs);
    Files.createDirectories(rootfs);
    for (String entry : hostRootEntries()) {
      Path host = Path.of("/", entry);
      if (Files.isSymbolicLink(host)) Files.createSymbolicLink(rootfs.resolve(entry), Files.readSymbolicLink(host));
      else if (HOST_DIRS.contains(entry) && Files.isDirectory(host)) Files.createDirectories(rootfs.resolve(entry));
    }
    for (String d : List.of("proc", "tmp", "dev", "sys", "workspace")) Files.createDirectories(rootfs.resolve(d));
    Files.setPosixFilePermissions(rootfs, PosixFilePermissions.fromString("rwxr-xr-x"));
    int reaped = 0;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(sandboxesDir)) {
      for (Path dir : ds) {
        reaped++;
        reap(dir);
      }
    }
    // runsc containers whose directory is gone
    if (probe.gvisorReason() == null) {
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(runscRoot, "*.state")) {
        for (Path state : ds) {
          String name = state.getFileName().toString();
          String id = name.substring(0, name.length() - ".state".length());
          int sep = id.indexOf("_sandbox:");
          if (sep >= 0) id = id.substring(0, sep);
          runner.run(List.of(probe.runsc(), "--root", runscRoot.toString(), "delete", "-force", id), null, hostEnv(), 4_096, DELETE_TIMEOUT_MS);
          reaped++;
        }
      }
    }
    if (reaped > 0) LOG.warn("local backend: destroyed {} sandbox(es) left by a previous run in {}", reaped, stateDir);
  }

  private void reap(Path dir) {
    Properties meta = new Properties();
    try {
      meta.load(Files.newBufferedReader(dir.resolve("meta.properties")));
    } catch (IOException e) {
      // no meta: nothing was started
    }
    LocalRuntime runtime = LocalRuntime.parse(meta.getProperty("runtime", "bwrap"));
    killAndRemove(dir.getFileName().toString(), runtime,
        Long.parseLong(meta.getProperty("initPid", "0")), Long.parseLong(meta.getProperty("initStart", "0")),
        Long.parseLong(meta.getProperty("outerPid", "0")), Long.parseLong(meta.getProperty("outerStart", "0")), dir);
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
    Path tmp = sb.dir.resolve("meta.properties.tmp");
    try (var w = Files.newBufferedWriter(tmp)) {
      p.store(w, "agent-sandbox local sandbox");
    }
    Files.move(tmp, sb.dir.resolve("meta.properties"), java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  private static void chown(Path p) throws IOException {
    Files.setAttribute(p, "unix:uid", SANDBOX_UID, LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(p, "unix:gid", SANDBOX_UID, LinkOption.NOFOLLOW_LINKS);
  }

  /** Deletes a directory tree without following symlinks; makes directories writable as needed. */
  static void deleteTree(Path dir) {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return;
    try {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
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
      CompletableFuture.allOf(done.toArray(new CompletableFuture<?>[0])).get(DELETE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      LOG.warn("local backend: not every sandbox was destroyed at shutdown ({}); the next start removes them", e.toString());
    }
    lifecycle.shutdownNow();
    execs.shutdownNow();
    pipes.shutdownNow();
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

  private static ThreadPoolExecutor pool(String prefix, int threads, java.util.concurrent.BlockingQueue<Runnable> queue) {
    AtomicInteger n = new AtomicInteger();
    ThreadFactory tf = r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
    ThreadPoolExecutor ex = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, queue, tf);
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
    volatile Process process;
    volatile long outerPid;
    volatile long outerStart;
    volatile long initPid;
    volatile long initStart;
    // guarded by this
    boolean destroyed;

    LocalSandbox(String id, PoolKey pool, String name, LocalRuntime runtime, SandboxBlueprint blueprint,
        ProvisionListener listener, Path dir) {
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
