package io.agentsandbox.scheduler.backend;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.port.ProvisionListener;
import io.agentsandbox.core.port.SandboxProvisioner;
import io.agentsandbox.core.testing.SandboxProvisionerContract;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;

/**
 * The provisioner contract against the simulation, with a 1 ms median start latency (Vert.x
 * timers); a failed start comes from a simulation configured to fail every start.
 */
class SimulatedProvisionerContractTest extends SandboxProvisionerContract {

  private final Vertx vertx = Vertx.vertx();
  private final SimulatedProvisioner simulated = new SimulatedProvisioner(vertx, rc -> 1, 0);

  @AfterEach
  void closeVertx() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Override
  protected SandboxProvisioner provisioner() {
    return simulated;
  }

  @Override
  protected PoolKey pool() {
    return new PoolKey("default", "simulated");
  }

  @Override
  protected List<String> makeReady(String name) {
    return List.of("198.51.100.2"); // the first address it hands out (TEST-NET-2)
  }

  @Override
  protected void makeFail(String name) {
    throw new UnsupportedOperationException("see createFailing");
  }

  @Override
  protected void createFailing(String name, ProvisionListener listener) {
    new SimulatedProvisioner(vertx, rc -> 1, 1.0).create(pool(), name, blueprint(), listener);
  }
}
