package io.agentsandbox.scheduler.backend.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.ExecRequest;
import io.agentsandbox.core.model.ExecResult;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxBlueprint;
import io.agentsandbox.core.model.SandboxRef;
import io.agentsandbox.core.port.ProvisionListener;
import io.agentsandbox.core.port.SandboxExecutor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sandbox limits on REAL runtimes (root, cgroups): a memory hog, a bounded fork bomb, a CPU hog
 * beside an idle sandbox, and a sandbox killed from outside. Each test checks that the sandbox's
 * cgroup and processes are gone afterwards and logs the host's available memory and process count
 * before and after (other work shares this host, so those are recorded, not asserted).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class LocalLimitsIT {

  private static final Logger LOG = LoggerFactory.getLogger(LocalLimitsIT.class);
  private static final PoolKey POOL = new PoolKey("default", "limits");
  private static final long MEMORY = 128L << 20;
  private static final long PIDS = 128;

  /** Records a sandbox's events; a failure after ready is kept apart. */
  static final class Events implements ProvisionListener {
    final CompletableFuture<String> outcome = new CompletableFuture<>();
    final CompletableFuture<String> failure = new CompletableFuture<>();

    @Override
    public void onSandboxReady(PoolKey pool, String sandboxName, List<String> addresses) {
      outcome.complete("ready");
    }

    @Override
    public void onSandboxFailed(PoolKey pool, String sandboxName, String reason) {
      if (!outcome.complete("failed: " + reason)) failure.complete(reason);
    }

    @Override
    public void onSandboxDeleted(PoolKey pool, String sandboxName) {}
  }

  @TempDir Path tmp;
  private LocalProvisioner p;
  private long availBefore;
  private int procsBefore;
  private final List<String> ids = new ArrayList<>();

  @BeforeEach
  void open() throws Exception {
    Assumptions.assumeTrue(HostProbe.uid() == 0, "cgroups need root");
    availBefore = memAvailableKb();
    procsBefore = processCount();
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    LocalBackendConfig d = LocalBackendConfig.defaults();
    p =
        LocalProvisioner.open(
            new LocalBackendConfig(
                tmp.resolve("state"),
                d.runscPath(),
                d.bwrapPath(),
                Map.of("runc", "bwrap"),
                d.execOutputLimitBytes(),
                d.execWorkers(),
                d.lifecycleWorkers(),
                d.readyTimeoutMs(),
                0,
                PIDS,
                d.agentBinary()));
    Assumptions.assumeTrue(p.limitsEnforced(), p.limitsDescription());
  }

  @AfterEach
  void close() {
    if (p == null) return;
    p.close();
    for (String id : ids) {
      for (String c : List.of("memory", "cpu", "pids")) {
        assertThat(Path.of("/sys/fs/cgroup", c, CgroupDriver.PARENT, id))
            .as("cgroup removed")
            .doesNotExist();
      }
    }
    LOG.info(
        "host after test: MemAvailable {} -> {} kB, processes {} -> {}",
        availBefore,
        memAvailableKb(),
        procsBefore,
        processCount());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"bwrap", "gvisor"})
  void memoryHogIsKilledAtTheLimit(String runtime) throws Exception {
    Events ev = new Events();
    SandboxRef ref = create(runtime, "mem", 500, ev);
    ExecResult hog = null;
    Throwable gone = null;
    try {
      hog = exec(ref, "python3 -c 'b=[]\nwhile True: b.append(bytearray(8<<20))'", 60_000);
    } catch (CompletionException e) {
      gone = e.getCause();
    }
    if (runtime.equals("bwrap")) {
      assertThat(hog).isNotNull();
      assertThat(hog.exitCode()).isEqualTo(137);
      assertThat(hog.oomKilled()).isTrue();
      assertThat(hog.timedOut()).isFalse();
      assertThat(out(exec(ref, "echo alive", 10_000))).isEqualTo("alive\n");
    } else {
      // gVisor: the host kernel kills the sentry, the whole sandbox is lost; the exec says Gone
      // with the reason, never runsc's internals.
      LOG.info(
          "gVisor memory hog: exec answered {} / {}", hog == null ? null : hog.exitCode(), gone);
      assertThat(hog).isNull();
      assertThat(gone).isInstanceOf(SandboxExecutor.ExecException.class);
      assertThat(gone.getMessage()).contains("OutOfMemory").doesNotContain("urpc");
      assertThat(ev.failure.get(30, TimeUnit.SECONDS)).startsWith("OutOfMemory");
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"bwrap", "gvisor"})
  void boundedForkBombStopsAtThePidsLimit(String runtime) throws Exception {
    Events ev = new Events();
    SandboxRef ref = create(runtime, "fork", 500, ev);
    String script = "for i in $(seq 1 400); do sleep 2 & done; echo started; wait";
    if (runtime.equals("gvisor")) {
      // gVisor's tasks are not host processes: the host pids limit bounds only the sentry's
      // threads, and 400 tasks outgrow a 128 MiB sandbox. It is lost, and says why.
      try {
        ExecResult r = exec(ref, script, 60_000);
        LOG.info("gvisor fork bomb: exit {}", r.exitCode());
        assertThat(out(exec(ref, "echo alive", 20_000))).isEqualTo("alive\n");
      } catch (CompletionException e) {
        LOG.info("gvisor fork bomb: {}", e.getCause().getMessage());
        assertThat(e.getCause().getMessage()).contains("OutOfMemory").doesNotContain("urpc");
        assertThat(ev.failure.get(30, TimeUnit.SECONDS)).startsWith("OutOfMemory");
      }
      return;
    }
    ExecResult bomb = exec(ref, script, 60_000);
    String text = out(bomb) + new String(bomb.stderr(), StandardCharsets.UTF_8);
    LOG.info(
        "{} fork bomb: exit {}, {} line(s), first: {}",
        runtime,
        bomb.exitCode(),
        text.lines().count(),
        text.lines().findFirst().orElse(""));
    assertThat(text).containsAnyOf("Cannot fork", "Resource temporarily unavailable");
    assertThat(text).doesNotContain("urpc");
    assertThat(out(exec(ref, "echo alive", 20_000))).isEqualTo("alive\n");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"bwrap", "gvisor"})
  void cpuHogLeavesAnotherSandboxsLatencyAlone(String runtime) throws Exception {
    SandboxRef hogger = create(runtime, "hog", 500, new Events());
    SandboxRef quiet = create(runtime, "quiet", 500, new Events());
    long idle = medianExecNs(quiet);
    exec(
        hogger,
        "for i in 1 2 3 4; do nohup timeout 60 sh -c 'while :; do :; done' >/dev/null 2>&1 & done",
        10_000);
    long busy = medianExecNs(quiet);
    double ratio = (double) busy / idle;
    LOG.info(
        "{} exec latency of an idle neighbour: {} ms idle, {} ms beside a CPU hog: ratio {}",
        runtime,
        idle / 1e6,
        busy / 1e6,
        String.format("%.2f", ratio));
    assertThat(ratio).as("latency beside a CPU hog / idle").isLessThan(4.0);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"bwrap", "gvisor"})
  void sandboxKilledFromOutsideFailsWithItsReason(String runtime) throws Exception {
    Events ev = new Events();
    SandboxRef ref = create(runtime, "victim", 0, ev);
    String id = LocalProvisioner.idOf(POOL, ref.name());
    List<Long> pids =
        CgroupDriver.pids(Path.of("/sys/fs/cgroup/pids", CgroupDriver.PARENT, id, "cgroup.procs"));
    assertThat(pids).isNotEmpty();
    for (long pid : pids) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    assertThat(ev.failure.get(30, TimeUnit.SECONDS)).startsWith("Died");
  }

  // ------------------------------------------------------------------ helpers

  private SandboxRef create(String runtime, String name, long cpuMillis, Events ev)
      throws Exception {
    RuntimeClass rc = runtime.equals("bwrap") ? RuntimeClass.of("runc") : RuntimeClass.GVISOR;
    Assumptions.assumeTrue(p.unavailableReason(rc) == null, p.unavailableReason(rc));
    SandboxBlueprint bp =
        new SandboxBlueprint("t", rc, "", List.of(), List.of(), Map.of(), cpuMillis, MEMORY);
    String sandbox = name + "-" + runtime;
    ids.add(LocalProvisioner.idOf(POOL, sandbox));
    p.create(POOL, sandbox, bp, ev);
    assertThat(ev.outcome.get(60, TimeUnit.SECONDS)).isEqualTo("ready");
    return new SandboxRef(sandbox, POOL, rc, List.of(), "local");
  }

  private ExecResult exec(SandboxRef ref, String script, long timeoutMs) {
    SandboxExecutor ex = p.executor();
    return ex.exec(
            ref, new ExecRequest(List.of("/bin/sh", "-c", script), null, null, null, timeoutMs))
        .toCompletableFuture()
        .orTimeout(timeoutMs + 30_000, TimeUnit.MILLISECONDS)
        .join();
  }

  private long medianExecNs(SandboxRef ref) {
    long[] t = new long[7];
    for (int i = 0; i < t.length; i++) {
      long t0 = System.nanoTime();
      assertThat(exec(ref, "true", 10_000).exitCode()).isZero();
      t[i] = System.nanoTime() - t0;
    }
    Arrays.sort(t);
    return t[t.length / 2];
  }

  private static String out(ExecResult r) {
    return new String(r.stdout(), StandardCharsets.UTF_8);
  }

  private static long memAvailableKb() {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (l.startsWith("MemAvailable:")) return Long.parseLong(l.replaceAll("\\D", ""));
      }
    } catch (Exception e) {
      // not Linux
    }
    return -1;
  }

  private static int processCount() {
    try (var s = Files.list(Path.of("/proc"))) {
      return (int) s.filter(f -> f.getFileName().toString().matches("\\d+")).count();
    } catch (Exception e) {
      return -1;
    }
  }
}
