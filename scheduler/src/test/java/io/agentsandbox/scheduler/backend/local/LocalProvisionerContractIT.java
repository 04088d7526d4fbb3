package io.agentsandbox.scheduler.backend.local;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxBlueprint;
import io.agentsandbox.core.port.ProvisionListener;
import io.agentsandbox.core.port.SandboxProvisioner;
import io.agentsandbox.core.testing.SandboxProvisionerContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The provisioner contract against REAL gVisor sandboxes (needs root, runsc and bwrap). A local
 * sandbox becomes ready on its own and reports no address; a failed start is a runtime class this
 * host has no runtime for.
 */
class LocalProvisionerContractIT extends SandboxProvisionerContract {

  @TempDir Path tmp;
  private LocalProvisioner local;

  @BeforeEach
  void open() throws Exception {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    local = LocalProvisioner.open(LocalBackendConfig.defaults().withStateDir(tmp.resolve("state")));
  }

  @AfterEach
  void close() {
    if (local != null) local.close();
  }

  @Override
  protected SandboxProvisioner provisioner() {
    return local;
  }

  @Override
  protected PoolKey pool() {
    return new PoolKey("default", "contract");
  }

  @Override
  protected List<String> makeReady(String name) {
    return List.of();
  }

  @Override
  protected void makeFail(String name) {
    throw new UnsupportedOperationException("see createFailing");
  }

  @Override
  protected void createFailing(String name, ProvisionListener listener) {
    SandboxBlueprint bp = blueprint();
    local.create(
        pool(),
        name,
        new SandboxBlueprint(
            bp.templateName(),
            RuntimeClass.of("kata-qemu"),
            bp.image(),
            bp.command(),
            bp.args(),
            bp.env(),
            bp.cpuMillis(),
            bp.memoryBytes()),
        listener);
  }
}
