package io.agentsandbox.scheduler.backend;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxBlueprint;
import io.agentsandbox.core.port.ProvisionListener;
import io.agentsandbox.core.port.SandboxProvisioner;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToLongFunction;

/**
 * A SIMULATION: starts nothing. Each "sandbox" becomes ready after a latency drawn per runtime
 * class (log-normal around the configured median), or fails at the configured rate. For tests and
 * load tests of the scheduler alone; never presented as real ({@link #isSimulated()} is true and
 * every pool shows it). Thread-safe; results are delivered from Vert.x timer callbacks.
 */
public final class SimulatedProvisioner implements SandboxProvisioner {

  /** Spread of the log-normal start latency (sigma of the underlying normal). */
  static final double LATENCY_SIGMA = 0.25;

  private final Vertx vertx;
  private final ToLongFunction<RuntimeClass> medianLatencyMs;
  private final double failureRate;
  private final AtomicInteger addressCounter = new AtomicInteger();

  /**
   * @param vertx for timers
   * @param medianLatencyMs median start latency of a runtime class, in ms (0: ready at once)
   * @param failureRate fraction of starts that fail, 0..1
   */
  public SimulatedProvisioner(
      Vertx vertx, ToLongFunction<RuntimeClass> medianLatencyMs, double failureRate) {
    this.vertx = vertx;
    this.medianLatencyMs = medianLatencyMs;
    this.failureRate = failureRate;
  }

  @Override
  public void create(
      PoolKey pool, String sandboxName, SandboxBlueprint blueprint, ProvisionListener listener) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long median = medianLatencyMs.applyAsLong(blueprint.runtimeClass());
    long latencyMs =
        median == 0
            ? 0
            : Math.max(1, Math.round(median * Math.exp(LATENCY_SIGMA * random.nextGaussian())));
    boolean fail = failureRate > 0 && random.nextDouble() < failureRate;
    if (latencyMs == 0) {
      report(pool, sandboxName, listener, fail);
    } else {
      vertx.setTimer(latencyMs, id -> report(pool, sandboxName, listener, fail));
    }
  }

  private void report(PoolKey pool, String sandboxName, ProvisionListener listener, boolean fail) {
    if (fail) {
      listener.onSandboxFailed(pool, sandboxName, "simulated start failure");
    } else {
      int n = addressCounter.incrementAndGet();
      // Addresses from the documentation range TEST-NET-2, so nobody mistakes them for real ones.
      listener.onSandboxReady(pool, sandboxName, List.of("198.51.100." + (1 + (n & 0xFF) % 254)));
    }
  }

  @Override
  public void delete(PoolKey pool, String sandboxName, ProvisionListener listener) {
    listener.onSandboxDeleted(pool, sandboxName);
  }

  @Override
  public String backendName() {
    return "simulated";
  }

  @Override
  public boolean isSimulated() {
    return true;
  }
}
