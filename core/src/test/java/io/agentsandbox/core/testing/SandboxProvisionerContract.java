package io.agentsandbox.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxBlueprint;
import io.agentsandbox.core.port.ProvisionListener;
import io.agentsandbox.core.port.SandboxProvisioner;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * What every {@link SandboxProvisioner} must do, whatever the backend (STYLE B.7 contract tests):
 * subclasses supply the provisioner and the means to make a sandbox ready or fail. Published in
 * core's test-jar; each backend's module subclasses it ({@code *Test} for in-memory ones, {@code
 * *IT} for real ones).
 */
public abstract class SandboxProvisionerContract {

  /** Generous: the Kubernetes backend needs a reconcile pass and a (played) kubelet. */
  protected static final long WAIT_S = 30;

  protected abstract SandboxProvisioner provisioner();

  protected abstract PoolKey pool();

  /**
   * Makes the created sandbox {@code name} ready (or lets it become ready on its own); returns the
   * addresses it should report.
   */
  protected abstract List<String> makeReady(String name);

  /** Makes the created sandbox {@code name} fail. */
  protected abstract void makeFail(String name);

  /**
   * Creates {@code name} so that its start fails. By default it is created from {@link
   * #blueprint()} and then {@link #makeFail} is called; a backend that cannot fail a start from
   * outside creates it from a blueprint it cannot run instead.
   */
  protected void createFailing(String name, ProvisionListener listener) {
    provisioner().create(pool(), name, blueprint(), listener);
    makeFail(name);
  }

  protected static String uniqueName(String prefix) {
    return prefix
        + "-"
        + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
  }

  /** What the sandboxes run; a backend may pick a runtime class it can run. */
  protected SandboxBlueprint blueprint() {
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
  public void shouldReportACreatedSandboxReadyExactlyOnceWithItsAddresses()
      throws InterruptedException {
    RecordingListener l = new RecordingListener();
    String name = uniqueName("ready");
    provisioner().create(pool(), name, blueprint(), l);
    List<String> addresses = makeReady(name);
    RecordingListener.Event e = l.next(WAIT_S);
    assertThat(e.kind()).isEqualTo("ready");
    assertThat(e.name()).isEqualTo(name);
    assertThat(e.pool()).isEqualTo(pool());
    assertThat(e.addresses()).isEqualTo(addresses);

    provisioner().delete(pool(), name, l);
    RecordingListener.Event d = l.next(WAIT_S);
    assertThat(d.kind()).as("no second ready/failed report for " + name).isEqualTo("deleted");
    assertThat(l.drained()).isEmpty();
  }

  @Test
  public void shouldReportAFailedStart() throws InterruptedException {
    RecordingListener l = new RecordingListener();
    String name = uniqueName("fails");
    createFailing(name, l);
    RecordingListener.Event e = l.next(WAIT_S);
    assertThat(e.kind()).isEqualTo("failed");
    assertThat(e.name()).isEqualTo(name);
    assertThat(e.reason()).isNotBlank();
  }

  @Test
  public void shouldReportDeletingAnUnknownSandboxAsDeleted() throws InterruptedException {
    RecordingListener l = new RecordingListener();
    provisioner().delete(pool(), uniqueName("never-created"), l);
    assertThat(l.next(WAIT_S).kind()).isEqualTo("deleted");
  }

  @Test
  public void shouldNameItsBackend() {
    assertThat(provisioner().backendName()).isNotBlank();
  }
}
