package io.agentsandbox.k8s.exec;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.ExecRequest;
import io.agentsandbox.core.model.ExecResult;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxBlueprint;
import io.agentsandbox.core.model.SandboxRef;
import io.agentsandbox.core.port.ProvisionListener;
import io.agentsandbox.core.port.SandboxExecutor;
import io.agentsandbox.core.port.SandboxProvisioner;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

class ExecWarmUpProvisionerTest {

  private static final PoolKey POOL = new PoolKey("ns", "py");
  private static final SandboxBlueprint BLUEPRINT =
      new SandboxBlueprint(
          "python",
          RuntimeClass.GVISOR,
          "python:e2e",
          List.of("sleep"),
          List.of("infinity"),
          Map.of(),
          0,
          0);

  /** Keeps the listener of each create; the test plays the delegate's callbacks. */
  private static final class FakeProvisioner implements SandboxProvisioner {
    ProvisionListener created;
    final List<String> deleted = new ArrayList<>();

    @Override
    public void create(
        PoolKey pool, String sandboxName, SandboxBlueprint blueprint, ProvisionListener listener) {
      created = listener;
    }

    @Override
    public void delete(PoolKey pool, String sandboxName, ProvisionListener listener) {
      deleted.add(sandboxName);
    }

    @Override
    public String backendName() {
      return "kubernetes";
    }

    @Override
    public String unavailableReason(RuntimeClass runtimeClass) {
      return "kata".equals(runtimeClass.name()) ? "no handler" : null;
    }
  }

  /** Records each exec; the test completes it. */
  private static final class FakeExecutor implements SandboxExecutor {
    final List<SandboxRef> refs = new ArrayList<>();
    final List<ExecRequest> requests = new ArrayList<>();
    final List<CompletableFuture<ExecResult>> results = new ArrayList<>();

    @Override
    public CompletionStage<ExecResult> exec(SandboxRef sandbox, ExecRequest request) {
      refs.add(sandbox);
      requests.add(request);
      CompletableFuture<ExecResult> f = new CompletableFuture<>();
      results.add(f);
      return f;
    }
  }

  private static final class Events implements ProvisionListener {
    final List<String> seen = new ArrayList<>();

    @Override
    public void onSandboxReady(PoolKey pool, String sandboxName, List<String> addresses) {
      seen.add("ready " + sandboxName + " " + addresses);
    }

    @Override
    public void onSandboxFailed(PoolKey pool, String sandboxName, String reason) {
      seen.add("failed " + sandboxName + " " + reason);
    }

    @Override
    public void onSandboxDeleted(PoolKey pool, String sandboxName) {
      seen.add("deleted " + sandboxName);
    }
  }

  private final FakeProvisioner delegate = new FakeProvisioner();
  private final FakeExecutor executor = new FakeExecutor();
  private final ExecWarmUpProvisioner warming =
      new ExecWarmUpProvisioner(delegate, executor, 5_000);
  private final Events events = new Events();

  private static ExecResult ok() {
    return new ExecResult(0, new byte[0], new byte[0], false, false, false, 1_000_000, false, null);
  }

  @Test
  void readyIsReportedOnlyAfterTheWarmUpExecFinished() {
    warming.create(POOL, "py-1", BLUEPRINT, events);
    delegate.created.onSandboxReady(POOL, "py-1", List.of("10.0.0.7"));

    assertThat(events.seen).isEmpty();
    assertThat(executor.requests).hasSize(1);
    assertThat(executor.requests.get(0).command()).containsExactly("true");
    assertThat(executor.requests.get(0).timeoutMs()).isEqualTo(5_000);
    SandboxRef ref = executor.refs.get(0);
    assertThat(ref.name()).isEqualTo("py-1");
    assertThat(ref.pool()).isEqualTo(POOL);
    assertThat(ref.runtimeClass()).isEqualTo(RuntimeClass.GVISOR);
    assertThat(ref.backend()).isEqualTo("kubernetes");

    executor.results.get(0).complete(ok());
    assertThat(events.seen).containsExactly("ready py-1 [10.0.0.7]");
    assertThat(warming.warmedUp()).isEqualTo(1);
  }

  @Test
  void aFailedWarmUpExecStillReportsReady() {
    warming.create(POOL, "py-1", BLUEPRINT, events);
    delegate.created.onSandboxReady(POOL, "py-1", List.of());
    executor
        .results
        .get(0)
        .completeExceptionally(
            new SandboxExecutor.ExecException(
                SandboxExecutor.ExecException.Kind.RUNTIME_ERROR, "no /bin/sh"));
    assertThat(events.seen).containsExactly("ready py-1 []");
  }

  @Test
  void aFailureDuringTheWarmUpIsPassedOnAndTheReadyReportDropped() {
    warming.create(POOL, "py-1", BLUEPRINT, events);
    delegate.created.onSandboxReady(POOL, "py-1", List.of());
    delegate.created.onSandboxFailed(POOL, "py-1", "pod died");
    executor.results.get(0).complete(ok());
    assertThat(events.seen).containsExactly("failed py-1 pod died");
  }

  @Test
  void aDeleteDuringTheWarmUpDropsTheReadyReport() {
    warming.create(POOL, "py-1", BLUEPRINT, events);
    delegate.created.onSandboxReady(POOL, "py-1", List.of());
    warming.delete(POOL, "py-1", events);
    executor.results.get(0).complete(ok());
    assertThat(delegate.deleted).containsExactly("py-1");
    assertThat(events.seen).isEmpty();
  }

  @Test
  void failuresBeforeReadyAndTheRestGoStraightThrough() {
    warming.create(POOL, "py-1", BLUEPRINT, events);
    delegate.created.onSandboxFailed(POOL, "py-1", "image pull");
    assertThat(events.seen).containsExactly("failed py-1 image pull");
    assertThat(executor.requests).isEmpty();
    assertThat(warming.backendName()).isEqualTo("kubernetes");
    assertThat(warming.unavailableReason(new RuntimeClass("kata"))).isEqualTo("no handler");
    assertThat(warming.unavailableReason(RuntimeClass.GVISOR)).isNull();
  }
}
