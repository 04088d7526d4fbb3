package io.agentsandbox.k8s.provision;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.port.SandboxProvisioner;
import io.agentsandbox.core.testing.RecordingListener;
import io.agentsandbox.core.testing.SandboxProvisionerContract;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.UpstreamKeys;
import io.agentsandbox.k8s.reconcile.SandboxReconciler;
import io.agentsandbox.k8s.testing.Kubelet;
import io.agentsandbox.k8s.testing.LocalApiServerExtension;
import io.agentsandbox.k8s.testing.LocalApiServerExtension.TestNamespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The provisioner contract against the real API server, with the Sandbox reconciler running and the
 * test playing the kubelet; plus what is specific to the Kubernetes backend.
 */
@ExtendWith(LocalApiServerExtension.class)
class Fabric8SandboxProvisionerContractIT extends SandboxProvisionerContract {

  private static KubernetesClient client;
  private static String namespace;
  private static SandboxReconciler reconciler;
  private static Fabric8SandboxProvisioner provisioner;
  private static int ipCounter;

  @BeforeAll
  static void start(KubernetesClient c, TestNamespace ns) throws Exception {
    client = c;
    namespace = ns.name();
    try {
      c.resource(
              new RuntimeClassBuilder()
                  .withNewMetadata()
                  .withName("gvisor")
                  .endMetadata()
                  .withHandler("runsc")
                  .build())
          .create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) throw e;
    }
    reconciler =
        new SandboxReconciler(c, SandboxReconciler.Options.defaults().inNamespace(namespace));
    reconciler.start().get(WAIT_S, TimeUnit.SECONDS);
    provisioner =
        new Fabric8SandboxProvisioner(c, new Fabric8SandboxProvisioner.Options(namespace, 2, 1000));
    provisioner.start().get(WAIT_S, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    if (provisioner != null) provisioner.close();
    if (reconciler != null) reconciler.close();
  }

  @Override
  protected SandboxProvisioner provisioner() {
    return provisioner;
  }

  @Override
  protected PoolKey pool() {
    return new PoolKey(namespace, "python-pool");
  }

  @Override
  protected synchronized List<String> makeReady(String name) {
    String ip = "10.244.7." + (++ipCounter);
    Kubelet.markRunning(client, namespace, name, ip);
    return List.of(ip);
  }

  @Override
  protected void makeFail(String name) {
    Kubelet.markTerminal(client, namespace, name, "Failed");
  }

  @Test
  void shouldCreateAPoolLabelledSandboxWhosePodRunsTheBlueprint() throws InterruptedException {
    RecordingListener l = new RecordingListener();
    String name = uniqueName("shape");
    String caller = Thread.currentThread().getName();
    provisioner.create(pool(), name, blueprint(), l);

    Sandbox sb =
        client
            .resources(Sandbox.class)
            .inNamespace(namespace)
            .withName(name)
            .waitUntilCondition(s -> s != null, WAIT_S, TimeUnit.SECONDS);
    assertThat(sb.getMetadata().getLabels())
        .containsEntry(UpstreamKeys.WARM_POOL_SANDBOX, UpstreamKeys.nameHash("python-pool"))
        .containsEntry(UpstreamKeys.SANDBOX_TEMPLATE_REF_HASH, UpstreamKeys.nameHash("python"));
    Pod pod =
        client
            .pods()
            .inNamespace(namespace)
            .withName(name)
            .waitUntilCondition(p -> p != null, WAIT_S, TimeUnit.SECONDS);
    assertThat(pod.getSpec().getRuntimeClassName()).isEqualTo("gvisor");
    assertThat(pod.getSpec().getContainers())
        .singleElement()
        .satisfies(
            k -> {
              assertThat(k.getImage()).isEqualTo("python:3.12-slim");
              assertThat(k.getCommand()).containsExactly("sleep");
              assertThat(k.getResources().getLimits().get("cpu")).hasToString("500m");
            });

    makeReady(name);
    RecordingListener.Event e = l.next(WAIT_S);
    assertThat(e.kind()).isEqualTo("ready");
    assertThat(e.thread()).isNotEqualTo(caller);
    provisioner.delete(pool(), name, l);
    RecordingListener.Event d = l.next(WAIT_S);
    assertThat(d.kind()).isEqualTo("deleted");
    assertThat(d.thread()).startsWith("k8s-io-");
    client
        .resources(Sandbox.class)
        .inNamespace(namespace)
        .withName(name)
        .waitUntilCondition(s -> s == null, WAIT_S, TimeUnit.SECONDS);
  }

  @Test
  void shouldReportAnInvalidSandboxAsFailed() throws InterruptedException {
    RecordingListener l = new RecordingListener();
    provisioner.create(pool(), "Not_A_Valid_Name", blueprint(), l);
    RecordingListener.Event e = l.next(WAIT_S);
    assertThat(e.kind()).isEqualTo("failed");
    assertThat(e.reason()).contains("422");
    assertThat(provisioner.pendingCreates()).isZero();
  }
}
