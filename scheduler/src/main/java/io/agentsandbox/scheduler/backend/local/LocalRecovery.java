package io.agentsandbox.scheduler.backend.local;

import io.agentsandbox.core.model.BindingRecord;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RecoveredSandbox;
import io.agentsandbox.core.port.ProvisionListener;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restart recovery: reads each sandbox directory of the previous run, asks {@link RecoveryDecision}
 * what to do with it, keeps it when its processes still answer an exec (registering it and its
 * claim), and destroys everything else in parallel on the lifecycle workers, runsc containers
 * without a directory included. Runs once, on the thread that opens the backend, before any sandbox
 * is created.
 */
final class LocalRecovery {

  private static final Logger LOG = LoggerFactory.getLogger(LocalRecovery.class);

  private final SandboxStore store;
  private final SandboxTable sandboxes;
  private final LocalBindingStore bindings;
  private final LocalExecutor executor;
  private final SandboxReaper reaper;
  private final Runsc runsc;
  private final boolean gvisorUsable;
  private final RuntimeMap runtimes;
  private final Executor lifecycle;

  LocalRecovery(
      SandboxStore store,
      SandboxTable sandboxes,
      LocalBindingStore bindings,
      LocalExecutor executor,
      SandboxReaper reaper,
      Runsc runsc,
      boolean gvisorUsable,
      RuntimeMap runtimes,
      Executor lifecycle) {
    this.store = store;
    this.sandboxes = sandboxes;
    this.bindings = bindings;
    this.executor = executor;
    this.reaper = reaper;
    this.runsc = runsc;
    this.gvisorUsable = gvisorUsable;
    this.runtimes = runtimes;
    this.lifecycle = lifecycle;
  }

  /** Keeps what the plan allows and still runs, destroys the rest; the kept ones by pool. */
  Map<PoolKey, LocalProvisioner.RecoveredPool> recover(LocalProvisioner.RecoveryPlan plan) {
    Map<PoolKey, LocalProvisioner.RecoveredPool> kept = new LinkedHashMap<>();
    int reaped = 0;
    List<CompletableFuture<Void>> reaping = new ArrayList<>();
    for (Path dir : store.list()) {
      String why;
      try {
        why = keep(dir, plan, kept);
      } catch (IOException | RuntimeException e) {
        why = "unreadable state: " + e.getMessage();
      }
      if (why == null) continue;
      LOG.info(
          "local backend: destroying sandbox {} left by the previous run: {}",
          dir.getFileName(),
          why);
      reaped++;
      // In parallel: killing a process that is not our child is confirmed by polling (about a
      // second).
      reaping.add(CompletableFuture.runAsync(() -> reaper.reap(dir), lifecycle));
    }
    CompletableFuture.allOf(reaping.toArray(new CompletableFuture<?>[0])).join();
    if (gvisorUsable) reaped += deleteOrphanContainers();
    if (reaped > 0) {
      LOG.warn(
          "local backend: destroyed {} sandbox(es) left by a previous run in {}",
          reaped,
          store.root().getParent());
    }
    return kept;
  }

  /** Keeps the sandbox in {@code dir} and returns null, or returns why it must go. */
  private String keep(
      Path dir,
      LocalProvisioner.RecoveryPlan plan,
      Map<PoolKey, LocalProvisioner.RecoveredPool> kept)
      throws IOException {
    SandboxMeta meta = MetaCodec.decode(SandboxStore.readMetaProperties(dir));
    BindingRecord binding = SandboxStore.readBinding(dir);
    var leftover =
        new RecoveryDecision.Leftover(
            dir.getFileName().toString(), meta, binding, SandboxStore.isReleased(dir));
    RecoveryDecision.Verdict verdict =
        RecoveryDecision.decide(
            leftover,
            plan.declared(),
            plan.routable(),
            runtimes::runtimeOf,
            System.currentTimeMillis());
    if (verdict instanceof RecoveryDecision.Reap reap) return reap.why();
    String gone = RecoveryDecision.processesGone(meta, Procs::startTimeOf);
    if (gone != null) return gone;
    ProvisionListener listener = plan.listeners().apply(meta.pool());
    LocalSandbox sb = LocalSandbox.of(meta, listener, dir);
    sb.agentSecret = AgentInit.readSecret(dir);
    if (sb.agentSecret != null) {
      String silent = AgentProbe.probe(AgentInit.socket(dir));
      if (silent != null) return "its agent does not answer (" + silent + ")";
    } else {
      String silent = executor.probe(sb);
      if (silent != null) return "its exec does not answer (" + silent + ")";
    }
    sb.ready = true;
    sandboxes.add(sb);
    if (binding != null) bindings.adopt(binding.claimId(), sb);
    var poolBlueprint = ((RecoveryDecision.Keep) verdict).poolBlueprint();
    kept.computeIfAbsent(
            meta.pool(),
            k -> new LocalProvisioner.RecoveredPool(k, poolBlueprint, new ArrayList<>()))
        .sandboxes()
        .add(new RecoveredSandbox(meta.name(), List.of(), binding));
    LOG.info(
        "local backend: kept sandbox {} ({}) of the previous run{}",
        sb.id,
        meta.runtime().wireName(),
        binding == null ? ", unclaimed" : ", bound to claim " + binding.claimId());
    return null;
  }

  private int deleteOrphanContainers() {
    List<String> files = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(runsc.root(), "*.state")) {
      for (Path state : ds) files.add(state.getFileName().toString());
    } catch (IOException e) {
      LOG.warn("cannot clean runsc state in {}: {}", runsc.root(), e.toString());
      return 0;
    }
    List<String> orphans = RecoveryDecision.orphanContainers(files, sandboxes::contains);
    orphans.forEach(runsc::deleteForce);
    return orphans.size();
  }
}
