package io.agentsandbox.k8s.provision;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.port.SandboxProvisioner;
import io.agentsandbox.core.testing.FakeProvisioner;
import io.agentsandbox.core.testing.SandboxProvisionerContract;
import java.util.List;

/** The contract against core's in-memory {@link FakeProvisioner}, so the fake stays honest. */
class FakeProvisionerContractTest extends SandboxProvisionerContract {

  private final FakeProvisioner fake = new FakeProvisioner(false);

  @Override
  protected SandboxProvisioner provisioner() {
    return fake;
  }

  @Override
  protected PoolKey pool() {
    return new PoolKey("default", "pool");
  }

  @Override
  protected List<String> makeReady(String name) {
    fake.readyAll();
    return List.of("10.0.0.1"); // readyAll numbers the waiting creates from 1
  }

  @Override
  protected void makeFail(String name) {
    fake.failAll("test failure");
  }
}
