package io.agentsandbox.scheduler.backend.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.k8s.backend.KubernetesBackendConfig;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.testing.ClusterFixtures;
import io.agentsandbox.k8s.testing.Kubelet;
import io.agentsandbox.k8s.testing.LocalApiServer;
import io.agentsandbox.k8s.testing.LocalApiServerExtension;
import io.agentsandbox.k8s.testing.LocalApiServerExtension.TestNamespace;
import io.agentsandbox.scheduler.SchedulerServer;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two replicas on one Lease: one serves, the other stands by (not ready) and takes over when the
 * first stops.
 */
@ExtendWith(LocalApiServerExtension.class)
class LeaderElectionIT {

  @TempDir Path tmp;
  private SchedulerServer first;
  private SchedulerServer second;
  private Kubelet.Node kubelet;

  @AfterEach
  void tearDown() throws Exception {
    for (SchedulerServer s : new SchedulerServer[] {second, first}) {
      if (s != null) s.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    if (kubelet != null) kubelet.close();
  }

  @Test
  void shouldServeFromOneReplicaAndFailOverToTheStandby(
      LocalApiServer api, KubernetesClient c, TestNamespace tns) throws Exception {
    String ns = tns.name();
    kubelet = Kubelet.play(c, ns, 4);
    ClusterFixtures.createTemplateAndPool(c, ns, "le", "le-pool", 2);
    Path kubeconfig = KubernetesBackendIT.writeKubeconfig(api, tmp);
    first =
        KubernetesBackendIT.start(
            api,
            kubeconfig,
            new KubernetesBackendConfig(kubeconfig, ns, true, "le-lease", ns, "replica-a"));
    awaitLeading(first);
    second =
        KubernetesBackendIT.start(
            api,
            kubeconfig,
            new KubernetesBackendConfig(kubeconfig, ns, true, "le-lease", ns, "replica-b"));
    assertThat(second.isStandby()).isTrue();
    assertThat(readyz(second)).isEqualTo(503);
    assertThat(readyz(first)).isEqualTo(200);
    Lease lease = c.leases().inNamespace(ns).withName("le-lease").get();
    assertThat(lease.getSpec().getHolderIdentity()).isEqualTo("replica-a");

    ClusterFixtures.awaitPoolReady(c, ns, "le-pool", 2);
    c.resources(SandboxClaim.class)
        .inNamespace(ns)
        .resource(ClusterFixtures.claim(ns, "le-1", "le-pool"))
        .create();
    SandboxClaim one = ClusterFixtures.awaitBound(c, ns, "le-1");

    // the leader stops (releases the Lease): the standby takes over, re-adopts, and serves
    first.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    first = null;
    awaitLeading(second);
    assertThat(readyz(second)).isEqualTo(200);
    c.resources(SandboxClaim.class)
        .inNamespace(ns)
        .resource(ClusterFixtures.claim(ns, "le-2", "le-pool"))
        .create();
    SandboxClaim two = ClusterFixtures.awaitBound(c, ns, "le-2");
    assertThat(two.getStatus().getSandbox().getName())
        .isNotEqualTo(one.getStatus().getSandbox().getName());
    assertThat(
            c.resources(SandboxClaim.class)
                .inNamespace(ns)
                .withName("le-1")
                .get()
                .getStatus()
                .getSandbox()
                .getName())
        .isEqualTo(one.getStatus().getSandbox().getName());
    assertThat(c.leases().inNamespace(ns).withName("le-lease").get().getSpec().getHolderIdentity())
        .isEqualTo("replica-b");
  }

  private static void awaitLeading(SchedulerServer s) throws Exception {
    s.whenServing().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static int readyz(SchedulerServer s) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/readyz")).build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }
}
