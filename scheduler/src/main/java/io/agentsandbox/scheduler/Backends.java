package io.agentsandbox.scheduler;

import io.agentsandbox.scheduler.backend.Backend;
import io.agentsandbox.scheduler.backend.LocalBackend;
import io.agentsandbox.scheduler.backend.SimulatedBackend;
import io.agentsandbox.scheduler.backend.SimulatedProvisioner;
import io.agentsandbox.scheduler.backend.kubernetes.KubernetesServerBackend;
import io.agentsandbox.scheduler.backend.local.LocalBackendConfig;
import io.agentsandbox.scheduler.backend.local.LocalProvisioner;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Opens the backend {@code --backend} names (with {@code auto}'s fallback). Stateless. */
final class Backends {

  private static final Logger LOG = LoggerFactory.getLogger(Backends.class);

  private Backends() {}

  /**
   * Opens the configured backend. Blocking (probes and cleans the local state directory).
   *
   * @throws RuntimeException when it cannot be opened; start-up stops
   */
  static Backend open(ServerContext ctx, Vertx vertx) {
    SchedulerConfig config = ctx.server();
    LocalBackendConfig local = ctx.local();
    switch (config.backend()) {
      case "kubernetes":
        return KubernetesServerBackend.open(
            vertx,
            ctx.kubernetes(),
            config.defaultWaitMs(),
            config.maxWaitMs(),
            new KubernetesServerBackend.ExecLimits(
                local.execOutputLimitBytes(), local.execWorkers()),
            local.stateDir());
      case "simulated":
        return simulated(config, vertx);
      default:
        Backend opened = openLocal(config.backend(), local);
        return opened != null ? opened : simulated(config, vertx);
    }
  }

  /** The local backend, or null when no runtime works here and {@code --backend auto}. */
  private static Backend openLocal(String backend, LocalBackendConfig config) {
    LocalProvisioner local = LocalProvisioner.openForRecovery(config);
    if (local.anyRuntimeUsable()) {
      LOG.info("backend: local, state dir {}; {}", local.stateDir(), local.probe().describe());
      return new LocalBackend(local);
    }
    local.recover(LocalProvisioner.RecoveryPlan.NONE);
    local.close();
    if (backend.equals("local")) {
      throw new IllegalStateException(
          "--backend local: no local runtime works on this host: " + local.probe().describe());
    }
    LOG.warn(
        "backend auto: no local runtime works on this host ({}); FALLING BACK TO THE SIMULATED"
            + " BACKEND. For real sandboxes run scripts/install-runtimes.sh as root"
            + " (apt-get install -y runsc bubblewrap)",
        local.probe().describe());
    return null;
  }

  private static Backend simulated(SchedulerConfig config, Vertx vertx) {
    LOG.warn(
        "backend: SIMULATED: no real sandbox is started; each becomes 'ready' after a latency"
            + " drawn per runtime class {}",
        config.simulatedLatencyMs());
    return new SimulatedBackend(
        new SimulatedProvisioner(vertx, config::simulatedLatencyMs, config.simulatedFailureRate()));
  }
}
