package io.agentsandbox.k8s.provision;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxBlueprint;
import io.agentsandbox.core.testing.RecordingListener;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxConditions;
import io.agentsandbox.k8s.crd.SandboxStatus;
import io.agentsandbox.k8s.testing.ClusterFixtures;
import io.agentsandbox.k8s.testing.CrudMockServer;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Fast check of the provisioner's create, delete and informer paths against fabric8's CRUD mock
 * (statuses are written by the test; the real reconciler runs in {@code
 * Fabric8SandboxProvisionerContractIT}).
 */
class Fabric8SandboxProvisionerMockTest {

  private static final long WAIT_S = 10;
  private static final PoolKey POOL = new PoolKey("test", "python-pool");
  private static final SandboxBlueprint BLUEPRINT =
      new SandboxBlueprint(
          "python", RuntimeClass.DEFAULT, "python:3.12", List.of(), List.of(), Map.of(), 0, 0);

  private CrudMockServer mock;
  private KubernetesClient client;
  private Fabric8SandboxProvisioner provisioner;
  private final RecordingListener events = new RecordingListener();

  @BeforeEach
  void start() throws Exception {
    mock = new CrudMockServer();
    client = mock.client();
    ClusterFixtures.installCrd(client, "agents.x-k8s.io_sandboxes.yaml");
    provisioner =
        new Fabric8SandboxProvisioner(
            client, new Fabric8SandboxProvisioner.Options("test", 2, 100));
    provisioner.start().get(WAIT_S, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() {
    try {
      if (provisioner != null) provisioner.close();
    } finally {
      mock.close();
    }
  }

  @Test
  void shouldReportReadyOnceTheSandboxIsReadyAndDeletedAfterDelete() throws Exception {
    provisioner.create(POOL, "sb-1", BLUEPRINT, events);
    awaitSandbox("sb-1");

    setStatus("sb-1", condition(SandboxConditions.READY, "True", "DependenciesReady"), "10.0.0.5");
    assertThat(line(events.next(WAIT_S))).isEqualTo("ready sb-1 [10.0.0.5]");

    provisioner.delete(POOL, "sb-1", events);
    assertThat(line(events.next(WAIT_S))).isEqualTo("deleted sb-1");
    client
        .resources(Sandbox.class)
        .inNamespace("test")
        .withName("sb-1")
        .waitUntilCondition(s -> s == null, WAIT_S, TimeUnit.SECONDS);
  }

  @Test
  void shouldFailAWaitingCreateWhoseSandboxIsDeletedBeforeItIsReady() throws Exception {
    provisioner.create(POOL, "sb-2", BLUEPRINT, events);
    awaitSandbox("sb-2");

    client.resources(Sandbox.class).inNamespace("test").withName("sb-2").delete();

    assertThat(line(events.next(WAIT_S)))
        .isEqualTo("failed sb-2: the Sandbox was deleted before it was ready");
  }

  @Test
  void shouldFailAWaitingCreateWhosePodEnded() throws Exception {
    provisioner.create(POOL, "sb-3", BLUEPRINT, events);
    awaitSandbox("sb-3");

    setStatus("sb-3", condition(SandboxConditions.FINISHED, "True", "PodFailed"), null);

    assertThat(line(events.next(WAIT_S)))
        .isEqualTo("failed sb-3: the sandbox's pod ended: PodFailed");
  }

  @Test
  void shouldFailASecondCreateOfTheSameNameWhileTheFirstIsInFlight() throws Exception {
    provisioner.create(POOL, "sb-4", BLUEPRINT, events);
    provisioner.create(POOL, "sb-4", BLUEPRINT, events);

    assertThat(line(events.next(WAIT_S)))
        .isEqualTo("failed sb-4: a create of test/sb-4 is already in flight");
  }

  @Test
  void shouldHoldACreateWhileBindingsAreQueuedAndDropItWhenDeletedMeanwhile() throws Exception {
    java.util.concurrent.atomic.AtomicBoolean bindingsQueued =
        new java.util.concurrent.atomic.AtomicBoolean(true);
    java.util.concurrent.CountDownLatch asked = new java.util.concurrent.CountDownLatch(3);
    java.util.concurrent.atomic.AtomicBoolean createdWhileQueued =
        new java.util.concurrent.atomic.AtomicBoolean();
    provisioner.setYield(
        () -> {
          if (bindingsQueued.get()
              && client.resources(Sandbox.class).inNamespace("test").withName("sb-5").get() != null)
            createdWhileQueued.set(true);
          asked.countDown();
          return bindingsQueued.get();
        });
    provisioner.create(POOL, "sb-5", BLUEPRINT, events);
    provisioner.create(POOL, "sb-6", BLUEPRINT, events);
    assertThat(asked.await(WAIT_S, TimeUnit.SECONDS)).as("the create asks, and waits").isTrue();
    provisioner.delete(POOL, "sb-6", events); // supersedes the waiting create
    bindingsQueued.set(false);
    assertThat(line(events.next(WAIT_S))).isEqualTo("deleted sb-6");
    awaitSandbox("sb-5");
    assertThat(createdWhileQueued).isFalse();
    assertThat(client.resources(Sandbox.class).inNamespace("test").withName("sb-6").get())
        .as("a create deleted while it waited is dropped")
        .isNull();
  }

  /**
   * An event as a line: {@code ready NAME [IPS]}, {@code failed NAME: REASON}, {@code deleted
   * NAME}.
   */
  private static String line(RecordingListener.Event e) {
    return switch (e.kind()) {
      case "ready" -> "ready " + e.name() + " " + e.addresses();
      case "failed" -> "failed " + e.name() + ": " + e.reason();
      default -> e.kind() + " " + e.name();
    };
  }

  private void awaitSandbox(String name) {
    client
        .resources(Sandbox.class)
        .inNamespace("test")
        .withName(name)
        .waitUntilCondition(s -> s != null, WAIT_S, TimeUnit.SECONDS);
  }

  private void setStatus(String name, Condition condition, String ip) {
    Sandbox s = client.resources(Sandbox.class).inNamespace("test").withName(name).get();
    SandboxStatus status = new SandboxStatus();
    status.setConditions(List.of(condition));
    if (ip != null) status.setPodIPs(List.of(ip));
    s.setStatus(status);
    client.resources(Sandbox.class).inNamespace("test").resource(s).updateStatus();
  }

  private static Condition condition(String type, String status, String reason) {
    return new ConditionBuilder()
        .withType(type)
        .withStatus(status)
        .withReason(reason)
        .withLastTransitionTime("2026-01-01T00:00:00Z")
        .build();
  }
}
