package io.agentsandbox.e2e;

import static io.agentsandbox.e2e.RealNode.*;
import static io.agentsandbox.k8s.testing.ClusterFixtures.claim;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.testing.SeedExamples;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The Kubernetes backend on a real node (scripts/e2e.sh): warm pool members are gVisor pods run by
 * a real kubelet and containerd; claims over HTTP and as SandboxClaims bind them; exec shows
 * gVisor's kernel; release deletes the pod; a drained pool refills; a killed member is replaced;
 * the seed's v1alpha1 Sandboxes run, and a missing runtime class is reported on the Sandbox.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WarmPoolE2E {

  private NodeSession session;
  private KubernetesClient c;
  private String ns;
  private Controller controller;
  private io.fabric8.kubernetes.api.model.node.v1.RuntimeClass noHandler;

  @BeforeAll
  void setUp() throws Exception {
    session = NodeSession.open("e2e-pool", "warmpool");
    c = session.client();
    ns = session.ns();
    controller = session.controller();
  }

  @AfterAll
  void tearDown() throws Exception {
    if (session != null) session.close();
  }

  @Test
  void shouldRunWarmMembersUnderGvisorAndBindHttpAndSandboxClaimsToThem() throws Exception {
    createTemplateAndPool(c, ns, "py", GVISOR, 2);
    List<Pod> members = awaitReadyMembers(c, ns, "py", 2, 120);
    Set<String> memberNames = new HashSet<>();
    for (Pod p : members) {
      memberNames.add(p.getMetadata().getName());
      assertThat(p.getSpec().getRuntimeClassName()).isEqualTo(GVISOR);
      assertThat(p.getSpec().getNodeName()).isEqualTo("rn-node");
      assertThat(p.getStatus().getPodIP()).startsWith("10.88.0.");
    }

    // an HTTP claim binds a warm member; exec shows gVisor's kernel
    Controller.Http r =
        controller.post("/v1/claims", "{\"pool\":\"" + ns + "/py\",\"waitMs\":30000}");
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    JsonNode body = r.json();
    String claimId = body.get("claimId").asText();
    String httpSandbox = body.get("sandbox").get("name").asText();
    assertThat(body.get("launchType").asText()).isEqualTo("warm");
    assertThat(memberNames).contains(httpSandbox);
    // the README's exec example, for real: POST /v1/sandboxes/{id}/exec with the claim's token,
    // through the API server's pods/exec into the gVisor pod
    String token = body.get("token").asText();
    Controller.Http version =
        controller.post(
            "/v1/sandboxes/" + httpSandbox + "/exec",
            "{\"command\":[\"cat\",\"/proc/version\"],\"timeoutMs\":20000}",
            token);
    assertThat(version.status()).as(version.body()).isEqualTo(200);
    assertThat(version.json().get("exitCode").asInt()).as(version.body()).isZero();
    assertThat(version.json().get("stdout").asText())
        .startsWith("Linux version 4.4.0"); // gVisor's kernel, not the host's
    Controller.Http py =
        controller.post(
            "/v1/sandboxes/" + httpSandbox + "/exec",
            "{\"command\":[\"python3\",\"-c\",\"print(1+1)\"],\"timeoutMs\":20000}",
            token);
    assertThat(py.status()).as(py.body()).isEqualTo(200);
    assertThat(py.json().get("stdout").asText()).isEqualTo("2\n");
    assertThat(
            controller
                .put("/v1/sandboxes/" + httpSandbox + "/files/data/in.txt", "hello", token)
                .status())
        .isBetween(200, 204);
    Controller.Http file =
        controller.get("/v1/sandboxes/" + httpSandbox + "/files/data/in.txt", token);
    assertThat(file.status()).as(file.body()).isEqualTo(200);
    assertThat(file.body()).isEqualTo("hello");
    assertThat(
            controller
                .post("/v1/sandboxes/" + httpSandbox + "/exec", "{\"command\":[\"true\"]}", null)
                .status())
        .isEqualTo(401);
    // and the same kernel straight through fabric8's pods/exec
    assertThat(
            exec(c, ns, httpSandbox, "python3", "-c", "import platform; print(platform.release())")
                .stdout()
                .trim())
        .isEqualTo("4.4.0");

    // a SandboxClaim binds the other warm member
    c.resources(SandboxClaim.class).inNamespace(ns).resource(claim(ns, "claim-a", "py")).create();
    SandboxClaim bound = awaitBound(c, ns, "claim-a", 60);
    String claimSandbox = bound.getStatus().getSandbox().getName();
    assertThat(memberNames).contains(claimSandbox);
    assertThat(claimSandbox).isNotEqualTo(httpSandbox);
    assertThat(bound.getStatus().getSandbox().getPodIPs()).isNotEmpty();
    assertThat(exec(c, ns, claimSandbox, "cat", "/proc/version").stdout())
        .startsWith("Linux version 4.4.0");

    // release: the Sandbox and its pod go (never handed to another claim)
    String podUid = c.pods().inNamespace(ns).withName(httpSandbox).get().getMetadata().getUid();
    Controller.Http rel = controller.delete("/v1/claims/" + claimId);
    assertThat(rel.status()).as(rel.body()).isEqualTo(204);
    await(
        60,
        "released sandbox " + httpSandbox + " and its pod deleted",
        () -> {
          Pod p = c.pods().inNamespace(ns).withName(httpSandbox).get();
          boolean podGoing =
              p == null
                  || !podUid.equals(p.getMetadata().getUid())
                  || p.getMetadata().getDeletionTimestamp() != null;
          return podGoing
              && c.resources(Sandbox.class).inNamespace(ns).withName(httpSandbox).get() == null;
        });
    // the pool is topped up again with new pods
    List<Pod> refilled = awaitReadyMembers(c, ns, "py", 2, 120);
    assertThat(refilled)
        .extracting(p -> p.getMetadata().getName())
        .doesNotContain(httpSandbox, claimSandbox);
  }

  @Test
  void shouldRefillAPoolDrainedByABurstAndReplaceAKilledMember() throws Exception {
    int n = 4;
    createTemplateAndPool(c, ns, "burst", GVISOR, n);
    Set<String> before = names(awaitReadyMembers(c, ns, "burst", n, 180));

    ExecutorService pool = Executors.newFixedThreadPool(n);
    List<Future<Controller.Http>> burst = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        burst.add(
            pool.submit(
                () ->
                    controller.post(
                        "/v1/claims", "{\"pool\":\"" + ns + "/burst\",\"waitMs\":60000}")));
      }
      Set<String> claimed = new HashSet<>();
      for (Future<Controller.Http> f : burst) {
        Controller.Http r = f.get(120, TimeUnit.SECONDS);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().get("launchType").asText()).isEqualTo("warm");
        claimed.add(r.json().get("sandbox").get("name").asText());
      }
      assertThat(claimed).isEqualTo(before); // every warm member bound once, none twice
    } finally {
      pool.shutdownNow();
    }
    long t0 = System.nanoTime();
    List<Pod> refilled = awaitReadyMembers(c, ns, "burst", n, 180);
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertThat(names(refilled)).doesNotContainAnyElementsOf(before);
    System.out.printf(
        "E2E refill: %d gVisor members Ready on the node %.1f s after the burst (%.2f pods/s)%n",
        n, seconds, n / seconds);

    // kill a member's pod outright: the member is replaced and the pool is back at target
    Pod victim = refilled.get(0);
    c.pods().inNamespace(ns).withName(victim.getMetadata().getName()).withGracePeriod(0).delete();
    await(
        120,
        "pool burst back at " + n + " ready members without the killed pod",
        () -> {
          List<Pod> now = readyMembers(c, ns, "burst");
          return now.size() >= n
              && now.stream()
                  .noneMatch(p -> p.getMetadata().getUid().equals(victim.getMetadata().getUid()));
        });
  }

  @Test
  void shouldRunTheSeedSandboxesAndReportAMissingRuntimeClass() throws Exception {
    // the seed documents' v1alpha1 examples as written, images swapped for the node's local ones
    // plus one of our own on a RuntimeClass without a handler on this node
    String yaml =
        SeedExamples.v1alpha1Sandboxes(PYTHON_IMAGE, BUSYBOX_IMAGE)
            + """
        ---
        apiVersion: agents.x-k8s.io/v1alpha1
        kind: Sandbox
        metadata:
          name: no-handler-sandbox
        spec:
          podTemplate:
            spec:
              runtimeClassName: e2e-no-handler
              containers:
              - name: agent-runtime
                image: %s
        """
                .formatted(PYTHON_IMAGE);
    // a RuntimeClass whose handler this node lacks (as kata-qemu-nvidia-gpu would be, installed
    // cluster-wide but not on this node): the pod is created and the kubelet cannot start it
    noHandler =
        new io.fabric8.kubernetes.api.model.node.v1.RuntimeClassBuilder()
            .withNewMetadata()
            .withName("e2e-no-handler")
            .endMetadata()
            .withHandler("no-such-handler")
            .build();
    c.resource(noHandler).createOr(io.fabric8.kubernetes.client.dsl.NonDeletingOperation::update);
    for (HasMetadata o :
        c.load(
                new java.io.ByteArrayInputStream(
                    yaml.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
            .items()) {
      c.resource(o).inNamespace(ns).create();
    }
    await(
        120,
        "seed sandboxes' pods Running and Ready",
        () -> {
          Pod a = c.pods().inNamespace(ns).withName("ai-agent-sandbox").get();
          Pod b = c.pods().inNamespace(ns).withName("my-sandbox").get();
          return a != null && b != null && podReady(a) && podReady(b);
        });
    assertThat(
            c.pods()
                .inNamespace(ns)
                .withName("ai-agent-sandbox")
                .get()
                .getSpec()
                .getRuntimeClassName())
        .isEqualTo(GVISOR);
    assertThat(
            c.pods().inNamespace(ns).withName("my-sandbox").get().getSpec().getRuntimeClassName())
        .isNull();
    assertThat(exec(c, ns, "ai-agent-sandbox", "cat", "/proc/version").stdout())
        .startsWith("Linux version 4.4.0");
    Exec runc = execIn(c, ns, "my-sandbox", "my-container", "cat", "/proc/version");
    assertThat(runc.stdout())
        .startsWith("Linux version ")
        .doesNotStartWith("Linux version 4.4.0"); // runc: the host's kernel
    await(
        60,
        "Sandbox ai-agent-sandbox Ready",
        () -> "True".equals(status(sandboxConditions("ai-agent-sandbox"), "Ready")));

    // no handler for kata-qemu-nvidia-gpu here: the Sandbox says so instead of waiting forever
    awaitNotReadySaying("kata-ai-sandbox", "missing runtime class", "kata-qemu-nvidia-gpu");

    // the RuntimeClass exists but the node has no handler: the kubelet's FailedCreatePodSandBox
    // event reaches the Sandbox's Ready condition instead of an endless "pod is not ready"
    awaitNotReadySaying(
        "no-handler-sandbox",
        "missing handler",
        "no runtime for \"no-such-handler\" is configured");
    c.resource(noHandler).delete();
  }

  /**
   * Waits (bounded) until the Sandbox's Ready condition is False with a message containing {@code
   * message}; prints it.
   */
  private void awaitNotReadySaying(String sandbox, String what, String message) {
    Condition[] ready = new Condition[1];
    await(
        60,
        sandbox + "'s Ready condition names the " + what,
        () -> {
          ready[0] = condition(sandboxConditions(sandbox), "Ready");
          return ready[0] != null
              && "False".equals(ready[0].getStatus())
              && ready[0].getMessage() != null
              && ready[0].getMessage().contains(message);
        },
        () -> String.valueOf(ready[0]));
    System.out.printf(
        "E2E %s: Ready=%s reason=%s message=%s%n",
        sandbox, ready[0].getStatus(), ready[0].getReason(), ready[0].getMessage());
  }

  private List<Condition> sandboxConditions(String name) {
    Sandbox s = c.resources(Sandbox.class).inNamespace(ns).withName(name).get();
    return s == null || s.getStatus() == null ? null : s.getStatus().getConditions();
  }

  private static Set<String> names(List<Pod> pods) {
    Set<String> s = new HashSet<>();
    for (Pod p : pods) s.add(p.getMetadata().getName());
    return s;
  }
}
