package io.agentsandbox.e2e;

import static io.agentsandbox.e2e.RealNode.*;
import static io.agentsandbox.k8s.testing.ClusterFixtures.claim;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code kill -9} of the controller (its own JVM) in the middle of a burst of SandboxClaims on a
 * real node: after the restart every claim is bound, each to its own sandbox whose gVisor pod runs,
 * and no sandbox is bound twice.
 */
class ControllerCrashE2E {

  private KubernetesClient c;
  private String ns;
  private Controller controller;

  @BeforeEach
  void setUp() throws Exception {
    c = client();
    installCrds(c);
    ns = newNamespace(c, "e2e-crash");
  }

  @AfterEach
  void tearDown() throws Exception {
    if (controller != null) controller.close();
    deleteNamespace(c, ns);
    c.close();
  }

  @Test
  void shouldBindEveryClaimOnceAcrossAKill9DuringABurst() throws Exception {
    int members = 5;
    int claims =
        8; // more than the pool holds: the rest wait for replacements started by either process
    createTemplateAndPool(c, ns, "crash", GVISOR, members);
    controller = Controller.start(ns, "crash");
    awaitReadyMembers(c, ns, "crash", members, 180);

    ExecutorService creators = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> created = new ArrayList<>();
      for (int i = 0; i < claims; i++) {
        String name = "burst-" + i;
        created.add(
            creators.submit(
                () ->
                    c.resources(SandboxClaim.class)
                        .inNamespace(ns)
                        .resource(waiting(claim(ns, name, "crash")))
                        .create()));
      }
      // kill -9 as soon as the first claim is bound: the others are queued, being bound or not yet
      // seen
      await(
          60,
          "a first claim bound",
          () ->
              c.resources(SandboxClaim.class).inNamespace(ns).list().getItems().stream()
                  .anyMatch(
                      x ->
                          x.getStatus() != null
                              && x.getStatus().getSandbox() != null
                              && x.getStatus().getSandbox().getName() != null));
      controller.kill9();
      for (Future<?> f : created) f.get(60, TimeUnit.SECONDS);
    } finally {
      creators.shutdown();
    }
    long boundAtKill =
        c.resources(SandboxClaim.class).inNamespace(ns).list().getItems().stream()
            .filter(
                x ->
                    x.getStatus() != null
                        && x.getStatus().getSandbox() != null
                        && x.getStatus().getSandbox().getName() != null)
            .count();
    controller.restart();

    Map<String, String> sandboxOfClaim = new HashMap<>();
    for (int i = 0; i < claims; i++) {
      SandboxClaim b = awaitBound(c, ns, "burst-" + i, 180);
      sandboxOfClaim.put(b.getMetadata().getUid(), b.getStatus().getSandbox().getName());
    }
    System.out.printf(
        "E2E kill -9: %d of %d claims bound when the controller was killed; all %d bound after the restart%n",
        boundAtKill, claims, claims);
    assertThat(new HashSet<>(sandboxOfClaim.values())).hasSize(claims); // nothing bound twice
    for (Map.Entry<String, String> e : sandboxOfClaim.entrySet()) {
      Sandbox s = c.resources(Sandbox.class).inNamespace(ns).withName(e.getValue()).get();
      List<OwnerReference> claimOwners =
          s.getMetadata().getOwnerReferences().stream()
              .filter(o -> "SandboxClaim".equals(o.getKind()))
              .toList();
      assertThat(claimOwners).as(s.getMetadata().getName()).hasSize(1);
      assertThat(claimOwners.get(0).getUid()).isEqualTo(e.getKey());
    }
    // nothing lost: every bound sandbox's pod runs on the node under gVisor
    await(
        120,
        "the bound sandboxes' pods Ready",
        () ->
            sandboxOfClaim.values().stream()
                .allMatch(
                    name -> {
                      Pod p = c.pods().inNamespace(ns).withName(name).get();
                      return p != null
                          && podReady(p)
                          && GVISOR.equals(p.getSpec().getRuntimeClassName());
                    }));
  }

  /** The claim waits (up to 120 s) for a warm member rather than starting cold at once. */
  private static SandboxClaim waiting(SandboxClaim claim) {
    claim
        .getMetadata()
        .setAnnotations(
            java.util.Map.of(io.agentsandbox.k8s.crd.AgentSandboxAnnotations.WAIT_MS, "120000"));
    return claim;
  }
}
