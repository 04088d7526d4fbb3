package io.agentsandbox.scheduler.backend.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.ExecRequest;
import io.agentsandbox.core.model.ExecResult;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxBlueprint;
import io.agentsandbox.core.model.SandboxRef;
import io.agentsandbox.core.port.ProvisionListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The provisioner contract against REAL runtimes: each create is reported once (ready or failed),
 * each delete once, unknown deletes count as deleted, results arrive on the backend's threads, and
 * a deleted sandbox leaves no directory. Logs start and exec latencies (not asserted).
 */
class LocalProvisionerIT {

  private static final Logger LOG = LoggerFactory.getLogger(LocalProvisionerIT.class);
  private static final PoolKey POOL = new PoolKey("default", "contract");

  @TempDir Path tmp;

  /** Records events; futures complete on the provisioner's threads. */
  static final class Events implements ProvisionListener {
    final CompletableFuture<String> outcome = new CompletableFuture<>();
    final CompletableFuture<Void> deleted = new CompletableFuture<>();
    volatile String thread;

    @Override
    public void onSandboxReady(PoolKey pool, String sandboxName, List<String> addresses) {
      thread = Thread.currentThread().getName();
      if (!outcome.complete("ready")) throw new AssertionError("reported twice");
    }

    @Override
    public void onSandboxFailed(PoolKey pool, String sandboxName, String reason) {
      thread = Thread.currentThread().getName();
      outcome.complete("failed: " + reason);
    }

    @Override
    public void onSandboxDeleted(PoolKey pool, String sandboxName) {
      if (!deleted.complete(null)) throw new AssertionError("deleted reported twice");
    }
  }

  private LocalProvisioner open() throws Exception {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    return LocalProvisioner.open(LocalBackendConfig.defaults().withStateDir(tmp.resolve("state")));
  }

  private static SandboxBlueprint blueprint(RuntimeClass rc) {
    return new SandboxBlueprint(
        "t",
        rc,
        "python:3.12-slim",
        List.of(),
        List.of(),
        Map.of("GREETING", "hi"),
        500,
        256L << 20);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"gvisor", "default"})
  void shouldStartExecAndDeleteSandbox(String runtimeClass) throws Exception {
    LocalProvisioner p = open();
    try {
      RuntimeClass rc =
          runtimeClass.equals("default") ? RuntimeClass.DEFAULT : RuntimeClass.of(runtimeClass);
      assertThat(p.unavailableReason(rc))
          .as("runtime usable here (run scripts/install-runtimes.sh)")
          .isNull();
      List<Long> startMs = new ArrayList<>();
      List<Long> execMs = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        String name = "sb-" + (rc.isDefault() ? "bwrap" : "gvisor") + "-" + i;
        Events ev = new Events();
        long t0 = System.nanoTime();
        p.create(POOL, name, blueprint(rc), ev);
        assertThat(ev.outcome.get(60, TimeUnit.SECONDS)).isEqualTo("ready");
        startMs.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        assertThat(ev.thread).startsWith("local-runtime-");
        SandboxRef ref = new SandboxRef(name, POOL, rc, List.of(), "local");
        for (int j = 0; j < 5; j++) {
          long e0 = System.nanoTime();
          ExecResult r =
              p.exec(
                      ref,
                      new ExecRequest(
                          List.of("/bin/sh", "-c", "echo $GREETING"), null, null, null, 10_000))
                  .toCompletableFuture()
                  .get(30, TimeUnit.SECONDS);
          execMs.add(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - e0));
          assertThat(r.exitCode()).isZero();
          assertThat(new String(r.stdout())).isEqualTo("hi\n");
        }
        p.delete(POOL, name, ev);
        ev.deleted.get(60, TimeUnit.SECONDS);
        assertThat(p.stateDir().resolve("sandboxes").resolve(LocalProvisioner.idOf(POOL, name)))
            .doesNotExist();
      }
      startMs.sort(null);
      execMs.sort(null);
      LOG.info(
          "latency {}: start (create -> exec answers) ms {}; exec echo us median {} (all {})",
          rc.displayName(),
          startMs,
          execMs.get(execMs.size() / 2),
          execMs);
    } finally {
      p.close();
    }
  }

  @Test
  void shouldReportUnknownDeleteAsDeletedAndUnavailableClassAsFailed() throws Exception {
    LocalProvisioner p = open();
    try {
      Events unknown = new Events();
      p.delete(POOL, "never-created", unknown);
      unknown.deleted.get(10, TimeUnit.SECONDS);

      RuntimeClass kata = RuntimeClass.of("kata-qemu");
      assertThat(p.unavailableReason(kata)).contains("--runtime-map");
      Events ev = new Events();
      p.create(POOL, "kata-1", blueprint(kata), ev);
      assertThat(ev.outcome.get(10, TimeUnit.SECONDS)).startsWith("failed: ").contains("kata-qemu");
      assertThat(p.sandboxCount()).isZero();
    } finally {
      p.close();
    }
  }

  @Test
  void shouldMapKataToGvisorWhenConfigured() throws Exception {
    LocalBackendConfig c = LocalBackendConfig.defaults().withStateDir(tmp.resolve("s2"));
    c =
        new LocalBackendConfig(
            c.stateDir(),
            c.runscPath(),
            c.bwrapPath(),
            LocalBackendConfig.parseRuntimeMap("kata=gvisor"),
            c.execOutputLimitBytes(),
            c.execWorkers(),
            c.lifecycleWorkers(),
            c.readyTimeoutMs(),
            c.defaultSandboxMemoryBytes(),
            c.defaultSandboxPids(),
            c.agentBinary());
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    LocalProvisioner p = LocalProvisioner.open(c);
    try {
      assertThat(p.runtimeOf(RuntimeClass.of("kata-qemu"))).isEqualTo(LocalRuntime.GVISOR);
      assertThat(p.unavailableReason(RuntimeClass.of("kata"))).isNull();
    } finally {
      p.close();
    }
  }

  @Test
  void shouldDestroyLeftoversOfPreviousRunAtOpen() throws Exception {
    LocalProvisioner first = open();
    Events ev = new Events();
    first.create(POOL, "left-behind", blueprint(RuntimeClass.DEFAULT), ev);
    assertThat(ev.outcome.get(60, TimeUnit.SECONDS)).isEqualTo("ready");
    Path dir =
        first.stateDir().resolve("sandboxes").resolve(LocalProvisioner.idOf(POOL, "left-behind"));
    long pid = Long.parseLong(props(dir).getProperty("initPid"));
    assertThat(ProcessHandle.of(pid)).isPresent();
    // Simulate a crash: drop the lock without destroying anything, then open again.
    first.releaseLockForTest();
    LocalProvisioner second =
        LocalProvisioner.open(LocalBackendConfig.defaults().withStateDir(first.stateDir()));
    try {
      assertThat(dir).doesNotExist();
      assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    } finally {
      second.close();
    }
  }

  private static java.util.Properties props(Path dir) throws Exception {
    java.util.Properties p = new java.util.Properties();
    try (var r = Files.newBufferedReader(dir.resolve("meta.properties"))) {
      p.load(r);
    }
    return p;
  }
}
