package io.agentsandbox.k8s.provision;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxBlueprint;
import io.agentsandbox.core.port.SandboxProvisioner;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * What every {@link SandboxProvisioner} must do, whatever the backend (STYLE B.7 contract tests):
 * subclasses supply the provisioner and the means to make a sandbox ready or fail.
 */
abstract class SandboxProvisionerContract {

  /** Generous: the Kubernetes backend needs a reconcile pass and a (played) kubelet. */
  static final long WAIT_S = 30;

  abstract SandboxProvisioner provisioner();

  abstract PoolKey pool();

  /** Makes the created sandbox {@code name} ready; returns the addresses it should report. */
  abstract List<String> makeReady(String name);

  /** Makes the created sandbox {@code name} fail. */
  abstract void makeFail(String name);

  static String uniqueName(String prefix) {
    return prefix
        + "-"
        + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
  }

  static SandboxBlueprint blueprint() {
    return new SandboxBlueprint(
        "python",
        RuntimeClass.GVISOR,
        "python:3.12-slim",
        List.of("sleep"),
        List.of("infinity"),
        Map.of("MODE", "test"),
        500,
        256L << 20);
  }

  @Test
  void shouldReportACreatedSandboxReadyExactlyOnceWithItsAddresses() throws InterruptedException {
    RecordingListener l = new RecordingListener();
    String name = uniqueName("ready");
    provisioner().create(pool(), name, blueprint(), l);
    List<String> addresses = makeReady(name);
    RecordingListener.Event e = l.next(WAIT_S);
    assertThat(e.kind()).isEqualTo("ready");
    assertThat(e.name()).isEqualTo(name);
    assertThat(e.pool()).isEqualTo(pool());
    assertThat(e.addresses()).isEqualTo(addresses).isNotEmpty();

    provisioner().delete(pool(), name, l);
    RecordingListener.Event d = l.next(WAIT_S);
    assertThat(d.kind()).as("no second ready/failed report for " + name).isEqualTo("deleted");
    assertThat(l.drained()).isEmpty();
  }

  @Test
  void shouldReportAFailedStart() throws InterruptedException {
    RecordingListener l = new RecordingListener();
    String name = uniqueName("fails");
    provisioner().create(pool(), name, blueprint(), l);
    makeFail(name);
    RecordingListener.Event e = l.next(WAIT_S);
    assertThat(e.kind()).isEqualTo("failed");
    assertThat(e.name()).isEqualTo(name);
    assertThat(e.reason()).isNotBlank();
  }

  @Test
  void shouldReportDeletingAnUnknownSandboxAsDeleted() throws InterruptedException {
    RecordingListener l = new RecordingListener();
    provisioner().delete(pool(), uniqueName("never-created"), l);
    assertThat(l.next(WAIT_S).kind()).isEqualTo("deleted");
  }

  @Test
  void shouldNameItsBackend() {
    assertThat(provisioner().backendName()).isNotBlank();
  }
}
