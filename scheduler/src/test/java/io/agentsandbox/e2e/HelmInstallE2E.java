package io.agentsandbox.e2e;

import static io.agentsandbox.e2e.RealNode.await;
import static io.agentsandbox.e2e.RealNode.awaitBound;
import static io.agentsandbox.e2e.RealNode.awaitReadyMembers;
import static io.agentsandbox.e2e.RealNode.podReady;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.crd.SandboxWarmPool;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The Helm chart installed on the real node as the README says, with the server's image built
 * without a container engine (scripts/server-image.sh) and imported into the node: the server pod
 * becomes Ready under the chart's ServiceAccount and RBAC only; the example pool warms up; a claim
 * through the chart's Service ({@code kubectl port-forward}) binds a warm gVisor pod and execs in
 * it; a {@code SandboxClaim} applied with kubectl becomes Ready; {@code helm upgrade} changes the
 * pool's size and a server flag without losing a claim; with two replicas the standby takes over
 * from a force-deleted leader; {@code helm uninstall} leaves none of our pods, Services or PVCs.
 * Prints the install to first warm claim time, the failover gap and the server pod's memory.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HelmInstallE2E {

  private static final String NS = "agent-sandbox-system";
  private static final String RELEASE = "agent-sandbox";

  /** fullname: the release name already contains the chart's. */
  private static final String NAME = "agent-sandbox";

  private static final String POOL = "python-gvisor";
  private static final long LEASE_DURATION_MS = 15_000;

  private KubernetesClient c;
  private HelmRelease helm;
  private Path chart;
  private Path values;
  private boolean installed;

  @BeforeAll
  void setUp() throws Exception {
    c = RealNode.client();
    helm = new HelmRelease(RELEASE, NS);
    chart = Path.of(HelmRelease.env("AGENTSANDBOX_E2E_CHART"));
    values = Path.of(HelmRelease.env("AGENTSANDBOX_E2E_VALUES"));
    RealNode.installCrds(c);
  }

  @AfterAll
  void tearDown() throws Exception {
    try {
      if (installed) helm.helm("uninstall", RELEASE, "--wait", "--timeout", "120s");
    } catch (AssertionError e) {
      System.err.println("helm uninstall in cleanup failed: " + e.getMessage());
    }
    if (c != null) c.close();
  }

  @Test
  void shouldInstallServeUpgradeFailOverAndUninstallTheChart() throws Exception {
    try {
      installServeUpgradeFailOverAndUninstall();
    } catch (Throwable t) {
      dumpServerLogs();
      throw t;
    }
  }

  /** Every server pod's log (and its previous container's) into target/e2e-logs, for a failure. */
  private void dumpServerLogs() {
    for (Pod p : c.pods().inNamespace(NS).list().getItems()) {
      String name = p.getMetadata().getName();
      if (!name.startsWith(NAME + "-")) continue;
      for (boolean previous : new boolean[] {false, true}) {
        try {
          String log =
              previous
                  ? c.pods().inNamespace(NS).withName(name).terminated().getLog()
                  : c.pods().inNamespace(NS).withName(name).getLog();
          java.nio.file.Files.writeString(
              RealNode.logsDir().resolve("helm-" + name + (previous ? "-previous" : "") + ".log"),
              log);
        } catch (Exception e) {
          // no such container (no previous run): nothing to keep
        }
      }
    }
  }

  private void installServeUpgradeFailOverAndUninstall() throws Exception {
    // install: the chart's defaults plus the node's local images
    // (scripts/real-node/server-values.yaml)
    long t0 = System.nanoTime();
    helm.helm("install", RELEASE, chart.toString(), "--create-namespace", "-f", values.toString());
    installed = true;
    Pod server = awaitServersReady(1, 180).get(0);
    long readyMs = msSince(t0);
    assertThat(server.getSpec().getServiceAccountName()).isEqualTo(NAME);
    assertThat(server.getSpec().getContainers().get(0).getImage())
        .startsWith("localhost/agent-sandbox-server:");
    assertThat(
            server
                .getSpec()
                .getContainers()
                .get(0)
                .getSecurityContext()
                .getReadOnlyRootFilesystem())
        .isTrue();

    List<Pod> members = awaitReadyMembers(c, NS, POOL, 3, 240);
    Set<String> memberNames = new HashSet<>();
    members.forEach(p -> memberNames.add(p.getMetadata().getName()));
    String token = apiToken();

    // a claim through the chart's Service binds a warm member; exec reaches gVisor's kernel
    String claimA;
    String sandboxA;
    long firstClaimMs;
    try (HelmRelease.PortForward api = helm.portForward("svc/" + NAME, 8080)) {
      HelmRelease.Http r =
          claim(api, token, "{\"pool\":\"" + NS + "/" + POOL + "\",\"waitMs\":30000}");
      firstClaimMs = msSince(t0);
      assertThat(r.status()).as(r.body()).isEqualTo(201);
      JsonNode a = r.json();
      assertThat(a.get("launchType").asText()).isEqualTo("warm");
      claimA = a.get("claimId").asText();
      sandboxA = a.get("sandbox").get("name").asText();
      assertThat(memberNames).contains(sandboxA);
      HelmRelease.Http version =
          api.send(
              "POST",
              "/v1/sandboxes/" + sandboxA + "/exec",
              "{\"command\":[\"cat\",\"/proc/version\"],\"timeoutMs\":20000}",
              a.get("token").asText());
      assertThat(version.status()).as(version.body()).isEqualTo(200);
      assertThat(version.json().get("stdout").asText()).startsWith("Linux version 4.4.0");
      // the server flag the upgrade lowers: a 3-hour claim is accepted now
      HelmRelease.Http longClaim =
          claim(
              api,
              token,
              "{\"pool\":\"" + NS + "/" + POOL + "\",\"waitMs\":30000,\"ttlSeconds\":10800}");
      assertThat(longClaim.status()).as(longClaim.body()).isEqualTo(201);
      assertThat(
              api.send(
                      "DELETE",
                      "/v1/claims/" + longClaim.json().get("claimId").asText(),
                      null,
                      token)
                  .status())
          .isEqualTo(204);
    }

    // a SandboxClaim applied with kubectl becomes Ready on another warm member
    helm.apply(sandboxClaimYaml("sc-a"));
    SandboxClaim scA = awaitBound(c, NS, "sc-a", 120);
    String sandboxScA = scA.getStatus().getSandbox().getName();
    assertThat(sandboxScA).isNotEqualTo(sandboxA);
    assertThat(logsOf(server)).doesNotContainIgnoringCase("forbidden");
    long memoryBytes = memoryOf(server);

    // upgrade: the pool grows to 4, the server's --max-ttl-seconds drops to 7200; the server rolls
    // (one replica, leader election: the old pod goes first) and no claim is lost
    String oldServer = server.getMetadata().getName();
    upgrade();
    await(
        240,
        "the upgraded server pod Ready (the old one gone)",
        () -> {
          List<Pod> ready = serverPods().stream().filter(RealNode::podReady).toList();
          return ready.size() == 1
              && !ready.get(0).getMetadata().getName().equals(oldServer)
              && serverPods().size() == 1;
        });
    server = serverPods().get(0);
    assertThat(server.getSpec().getContainers().get(0).getArgs())
        .contains("--max-ttl-seconds=7200");
    assertThat(
            c.resources(SandboxWarmPool.class)
                .inNamespace(NS)
                .withName(POOL)
                .get()
                .getSpec()
                .getReplicas())
        .isEqualTo(4);
    awaitReadyMembers(c, NS, POOL, 4, 240);
    try (HelmRelease.PortForward api = helm.portForward("svc/" + NAME, 8080)) {
      HelmRelease.Http a = api.send("GET", "/v1/claims/" + claimA, null, token);
      assertThat(a.status())
          .as("claim %s across the rolling restart: %s", claimA, a.body())
          .isEqualTo(200);
      assertThat(a.json().get("sandbox").get("name").asText()).isEqualTo(sandboxA);
      HelmRelease.Http tooLong =
          claim(
              api,
              token,
              "{\"pool\":\"" + NS + "/" + POOL + "\",\"waitMs\":30000,\"ttlSeconds\":10800}");
      assertThat(tooLong.status()).as(tooLong.body()).isEqualTo(400);
      assertThat(tooLong.body()).contains("ttlSeconds");
    }
    assertThat(
            c.resources(SandboxClaim.class)
                .inNamespace(NS)
                .withName("sc-a")
                .get()
                .getStatus()
                .getSandbox()
                .getName())
        .isEqualTo(sandboxScA);
    assertThat(c.resources(Sandbox.class).inNamespace(NS).withName(sandboxA).get()).isNotNull();

    // failover: two replicas, the Lease holder force-deleted; the standby serves again
    upgrade("replicas=2");
    await(
        240,
        "two server pods Running, one Ready",
        () -> {
          List<Pod> pods = serverPods();
          return pods.size() == 2
              && pods.stream()
                  .allMatch(
                      p -> p.getStatus() != null && "Running".equals(p.getStatus().getPhase()))
              && pods.stream().filter(RealNode::podReady).count() == 1;
        });
    String holder = leaseHolder();
    Pod leaderPod =
        serverPods().stream()
            .filter(p -> holder.startsWith(p.getMetadata().getName()))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no server pod holds the Lease: " + holder));
    String leader = leaderPod.getMetadata().getName();
    assertThat(podReady(leaderPod)).as("the Lease holder is the ready replica").isTrue();
    Pod standby =
        serverPods().stream()
            .filter(p -> !p.getMetadata().getName().equals(leader))
            .findFirst()
            .orElseThrow();
    assertThat(podReady(standby)).as("the standby is not ready").isFalse();
    long gapMs;
    String claimB;
    List<String> failoverAttempts;
    // the standby listens (answers 503: not the leader) before the leader goes
    String standbyName = standby.getMetadata().getName();
    try (Reforward api = new Reforward("pod/" + standbyName)) {
      int[] code = {0};
      await(
          90,
          "the standby answering /readyz",
          () -> {
            try {
              code[0] = api.send("GET", "/readyz", null, null).status();
            } catch (Exception e) {
              code[0] = -1;
            }
            return code[0] == 503;
          },
          () -> "last status " + code[0]);
      long killed = System.nanoTime();
      helm.kubectl(
          "delete", "pod", "-n", NS, leader, "--grace-period=0", "--force", "--wait=false");
      HelmRelease.Http[] last = new HelmRelease.Http[1];
      List<String> attempts = new java.util.ArrayList<>();
      await(
          (int) (LEASE_DURATION_MS / 1000) + 60,
          "the standby serving claims",
          () -> {
            long t = msSince(killed);
            try {
              last[0] =
                  api.send(
                      "POST",
                      "/v1/claims",
                      "{\"pool\":\"" + NS + "/" + POOL + "\",\"waitMs\":1000}",
                      token);
              attempts.add(t + " ms: " + last[0].status() + " (" + (msSince(killed) - t) + " ms)");
              return last[0].status() == 201;
            } catch (Exception e) {
              attempts.add(t + " ms: " + e + " (" + (msSince(killed) - t) + " ms)");
              return false;
            }
          },
          () -> last[0] + "; attempts: " + attempts);
      gapMs = msSince(killed);
      failoverAttempts = attempts;
      claimB = last[0].json().get("claimId").asText();
      String sandboxB = last[0].json().get("sandbox").get("name").asText();
      assertThat(sandboxB).isNotIn(sandboxA, sandboxScA);
      assertThat(
              api.send("GET", "/v1/claims/" + claimA, null, token)
                  .json()
                  .get("sandbox")
                  .get("name")
                  .asText())
          .isEqualTo(sandboxA);
      assertThat(api.send("DELETE", "/v1/claims/" + claimB, null, token).status()).isEqualTo(204);
      assertThat(api.send("DELETE", "/v1/claims/" + claimA, null, token).status()).isEqualTo(204);
    }
    System.out.println("HELM-E2E: failover attempts after the kill: " + failoverAttempts);
    assertThat(gapMs)
        .as("failover gap (Lease %d ms + 5 s); attempts: %s", LEASE_DURATION_MS, failoverAttempts)
        .isLessThanOrEqualTo(LEASE_DURATION_MS + 5_000);
    assertNothingBoundTwice();

    // uninstall: the user's SandboxClaim is theirs to delete; then none of our pods, Services, PVCs
    helm.kubectl("delete", "sandboxclaim", "-n", NS, "sc-a", "--wait=false");
    helm.helm("uninstall", RELEASE, "--wait", "--timeout", "120s");
    installed = false;
    await(
        180,
        "no pod, Service or PVC left in " + NS,
        () ->
            c.pods().inNamespace(NS).list().getItems().isEmpty()
                && c.services().inNamespace(NS).list().getItems().isEmpty()
                && c.persistentVolumeClaims().inNamespace(NS).list().getItems().isEmpty(),
        () ->
            String.valueOf(
                c.pods().inNamespace(NS).list().getItems().stream()
                    .map(p -> p.getMetadata().getName())
                    .toList()));
    assertThat(
            c.apiextensions()
                .v1()
                .customResourceDefinitions()
                .withName("sandboxclaims.extensions.agents.x-k8s.io")
                .get())
        .as("CRDs stay, as Helm does")
        .isNotNull();

    System.out.printf(
        "HELM-E2E: install -> server Ready %d ms, install -> first warm claim %d ms, failover gap %d ms (Lease %d ms), server pod memory %d MiB with the example pool%n",
        readyMs, firstClaimMs, gapMs, LEASE_DURATION_MS, memoryBytes >> 20);
  }

  /**
   * {@code helm upgrade} with the node's values, the pool grown to 4 and {@code
   * --max-ttl-seconds=7200}, plus {@code sets}.
   */
  private void upgrade(String... sets) throws Exception {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "upgrade",
                RELEASE,
                chart.toString(),
                "-f",
                values.toString(),
                "--set",
                "pools.items[0].replicas=4",
                "--set",
                "server.extraArgs={--max-ttl-seconds=7200}"));
    for (String set : sets) args.addAll(List.of("--set", set));
    helm.helm(args.toArray(String[]::new));
  }

  private HelmRelease.Http claim(HelmRelease.PortForward api, String token, String body)
      throws Exception {
    return api.send("POST", "/v1/claims", body, token);
  }

  private List<Pod> serverPods() {
    return c
        .pods()
        .inNamespace(NS)
        .withLabel("app.kubernetes.io/instance", RELEASE)
        .withLabel("app.kubernetes.io/name", "agent-sandbox")
        .list()
        .getItems()
        .stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .toList();
  }

  private List<Pod> awaitServersReady(int n, int seconds) {
    List<Pod>[] last = new List[1];
    await(
        seconds,
        n + " server pod(s) Ready",
        () -> {
          last[0] = serverPods().stream().filter(RealNode::podReady).toList();
          return last[0].size() == n;
        },
        () -> {
          Deployment d = c.apps().deployments().inNamespace(NS).withName(NAME).get();
          return (d == null ? "no deployment" : String.valueOf(d.getStatus()))
              + " pods: "
              + serverPods().stream()
                  .map(p -> p.getMetadata().getName() + " " + p.getStatus())
                  .toList();
        });
    return last[0];
  }

  private String apiToken() {
    String b64 =
        c.secrets().inNamespace(NS).withName(NAME + "-api-tokens").get().getData().get("tokens");
    return new String(
            java.util.Base64.getDecoder().decode(b64), java.nio.charset.StandardCharsets.UTF_8)
        .lines()
        .findFirst()
        .orElseThrow()
        .trim();
  }

  private String leaseHolder() {
    Lease l = c.resources(Lease.class).inNamespace(NS).withName(NAME + "-leader").get();
    assertThat(l).as("Lease " + NAME + "-leader").isNotNull();
    return l.getSpec().getHolderIdentity();
  }

  private String logsOf(Pod p) {
    return c.pods().inNamespace(NS).withName(p.getMetadata().getName()).getLog();
  }

  /** The server container's cgroup memory (v2 memory.current, else v1 usage), read in the pod. */
  private long memoryOf(Pod p) throws Exception {
    String out =
        helm.kubectl(
            "exec",
            "-n",
            NS,
            p.getMetadata().getName(),
            "--",
            "sh",
            "-c",
            "cat /sys/fs/cgroup/memory.current 2>/dev/null || cat /sys/fs/cgroup/memory/memory.usage_in_bytes");
    return Long.parseLong(out.trim());
  }

  /** No Sandbox is the binding of two claims: SandboxClaims' statuses name distinct sandboxes. */
  private void assertNothingBoundTwice() {
    Set<String> seen = new HashSet<>();
    for (SandboxClaim sc : c.resources(SandboxClaim.class).inNamespace(NS).list().getItems()) {
      if (sc.getStatus() == null || sc.getStatus().getSandbox() == null) continue;
      String s = sc.getStatus().getSandbox().getName();
      if (s != null) assertThat(seen.add(s)).as("sandbox %s bound to two claims", s).isTrue();
    }
  }

  /**
   * A port-forward to one pod, started again after a failed request: kubectl 1.20's can stay up
   * with a broken stream once the pod refused a connection (e.g. a JVM not listening yet).
   */
  private final class Reforward implements AutoCloseable {
    private final String target;
    private HelmRelease.PortForward fwd;

    Reforward(String target) {
      this.target = target;
    }

    HelmRelease.Http send(String method, String path, String body, String token) throws Exception {
      if (fwd == null || !fwd.process().isAlive()) fwd = helm.portForward(target, 8080);
      try {
        return fwd.send(method, path, body, token, java.time.Duration.ofSeconds(5));
      } catch (Exception e) {
        close();
        throw e;
      }
    }

    @Override
    public void close() throws InterruptedException {
      if (fwd != null) fwd.close();
      fwd = null;
    }
  }

  private static String sandboxClaimYaml(String name) {
    return """
        apiVersion: extensions.agents.x-k8s.io/v1beta1
        kind: SandboxClaim
        metadata:
          name: %s
          namespace: %s
        spec:
          warmPoolRef:
            name: %s
        """
        .formatted(name, NS, POOL);
  }

  private static long msSince(long t0) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
  }
}
