package io.agentsandbox.bench.realnode;

import static io.agentsandbox.e2e.RealNode.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.e2e.Controller;
import io.agentsandbox.e2e.NodeSession;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A measurement run on the real node, not a test: the figures of benchmarks/RESULTS.md "Real node",
 * per runtime class (gVisor, runc): cold claim -> first exec finished, warm claim -> first exec
 * finished, pool refill rate, memory (PSS) per idle warm pod. Prints them and asserts only that the
 * claims and execs succeed. Runs only in the {@code real-node-measure} profile of this module, on a
 * node that is up ({@code scripts/real-node.sh up}) and otherwise idle:
 *
 * <pre>
 * AGENTSANDBOX_E2E_KUBECONFIG=$(scripts/real-node.sh up) \
 *   mvn -B -ntp verify -pl benchmarks -am -Dreal-node-measure -DskipTests
 * </pre>
 */
class RealNodeMeasurement {

  private static final int ROUNDS = Integer.getInteger("e2e.measure.rounds", 5);
  private static final int REFILL = Integer.getInteger("e2e.measure.refill", 10);

  private NodeSession session;
  private KubernetesClient c;
  private String ns;
  private Controller controller;

  @BeforeEach
  void setUp() throws Exception {
    session = NodeSession.open("e2e-measure", "measure");
    c = session.client();
    ns = session.ns();
    controller = session.controller();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (session != null) session.close();
  }

  @Test
  void measureGvisor() throws Exception {
    measure(GVISOR, "gv");
  }

  @Test
  void measureRunc() throws Exception {
    measure(null, "rc");
  }

  private void measure(String runtimeClass, String tag) throws Exception {
    String label = runtimeClass == null ? "runc" : runtimeClass;
    createTemplateAndPool(c, ns, tag + "-warm", runtimeClass, 2);
    createTemplateAndPool(c, ns, tag + "-cold", runtimeClass, 0);
    awaitReadyMembers(c, ns, tag + "-warm", 2, 180);

    // warm: claim from a full pool, then exec; the pool is refilled before the next round
    double[] warm = new double[ROUNDS];
    double[] warmClaim = new double[ROUNDS];
    double[] warmExec2 = new double[ROUNDS];
    for (int i = -1;
        i < ROUNDS;
        i++) { // round -1 warms the controller's JIT and fabric8's exec path up; not counted
      awaitReadyMembers(c, ns, tag + "-warm", 2, 120);
      long t0 = System.nanoTime();
      Controller.Http r =
          controller.post(
              "/v1/claims", "{\"pool\":\"" + ns + "/" + tag + "-warm\",\"waitMs\":30000}");
      long t1 = System.nanoTime();
      assertThat(r.status()).as(r.body()).isEqualTo(201);
      assertThat(r.json().get("launchType").asText()).isEqualTo("warm");
      long t2 = exec(r);
      long t3 = exec(r);
      if (i >= 0) {
        warm[i] = (t2 - t0) / 1e6;
        warmClaim[i] = (t1 - t0) / 1e6;
        warmExec2[i] = (t3 - t2) / 1e6;
      }
      controller.delete("/v1/claims/" + r.json().get("claimId").asText());
    }

    // cold: the pool holds nothing; onEmpty=cold starts a sandbox for the claim
    double[] cold = new double[ROUNDS];
    double[] coldClaim = new double[ROUNDS];
    double[] coldExec2 = new double[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
      long t0 = System.nanoTime();
      Controller.Http r =
          controller.post(
              "/v1/claims",
              "{\"pool\":\"" + ns + "/" + tag + "-cold\",\"onEmpty\":\"cold\",\"waitMs\":60000}");
      long t1 = System.nanoTime();
      assertThat(r.status()).as(r.body()).isEqualTo(201);
      assertThat(r.json().get("launchType").asText()).isEqualTo("cold");
      long t2 = exec(r);
      long t3 = exec(r);
      cold[i] = (t2 - t0) / 1e6;
      coldClaim[i] = (t1 - t0) / 1e6;
      coldExec2[i] = (t3 - t2) / 1e6;
      controller.delete("/v1/claims/" + r.json().get("claimId").asText());
    }
    double w = median(warm);
    double k = median(cold);
    System.out.printf(
        "MEASURE %s: warm claim->first exec done median %.0f ms (claim %.0f ms; a second exec %.0f ms) %s%n",
        label, w, median(warmClaim), median(warmExec2), Arrays.toString(round(warm)));
    System.out.printf(
        "MEASURE %s: cold claim->first exec done median %.0f ms (claim %.0f ms; a second exec %.0f ms) %s%n",
        label, k, median(coldClaim), median(coldExec2), Arrays.toString(round(cold)));
    System.out.printf("MEASURE %s: warm/cold = %.3f%n", label, w / k);

    // refill: drain a pool of REFILL members with a burst, time until it is back at target
    scalePool(c, ns, tag + "-warm", 0);
    createTemplateAndPool(c, ns, tag + "-refill", runtimeClass, REFILL);
    Set<String> first = new HashSet<>();
    for (Pod p : awaitReadyMembers(c, ns, tag + "-refill", REFILL, 300))
      first.add(p.getMetadata().getName());
    await(
        120,
        "no pods but the refill pool's",
        () ->
            c.pods().inAnyNamespace().list().getItems().stream()
                    .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                    .count()
                == REFILL);
    // memory per idle warm pod: every process of the pods (kubepods cgroups) + their shims
    Thread.sleep(
        3000); // let the just-started sandboxes settle; a measurement, not a synchronisation
    long pssKb = podProcessesPssKb();
    System.out.printf(
        "MEASURE %s: memory per idle warm pod (PSS of shim + pause + sandbox processes) %.1f MiB over %d pods%n",
        label, pssKb / 1024.0 / REFILL, REFILL);
    ExecutorService pool = Executors.newFixedThreadPool(REFILL);
    try {
      List<Future<Controller.Http>> burst = new ArrayList<>();
      for (int i = 0; i < REFILL; i++) {
        burst.add(
            pool.submit(
                () ->
                    controller.post(
                        "/v1/claims",
                        "{\"pool\":\"" + ns + "/" + tag + "-refill\",\"waitMs\":30000}")));
      }
      for (Future<Controller.Http> f : burst)
        assertThat(f.get(60, TimeUnit.SECONDS).status()).isEqualTo(201);
    } finally {
      pool.shutdownNow();
    }
    long t0 = System.nanoTime();
    awaitReadyMembers(c, ns, tag + "-refill", REFILL, 300);
    double s = (System.nanoTime() - t0) / 1e9;
    System.out.printf(
        "MEASURE %s: refill of %d drained members to Ready in %.1f s = %.2f pods/s%n",
        label, REFILL, s, REFILL / s);
    scalePool(c, ns, tag + "-refill", 0);
  }

  /**
   * The README's path: POST /v1/sandboxes/{id}/exec with the claim's token; returns when it has
   * finished.
   */
  private long exec(Controller.Http claim) throws Exception {
    Controller.Http e =
        controller.post(
            "/v1/sandboxes/" + claim.json().get("sandbox").get("name").asText() + "/exec",
            "{\"command\":[\"true\"],\"timeoutMs\":20000}",
            claim.json().get("token").asText());
    long t = System.nanoTime();
    assertThat(e.status()).as(e.body()).isEqualTo(200);
    assertThat(e.json().get("exitCode").asInt()).isZero();
    return t;
  }

  /** Sum of PSS (kB) over the processes in the kubepods memory cgroups and the containerd shims. */
  private static long podProcessesPssKb() throws IOException {
    Set<String> pids = new HashSet<>();
    Path kubepods = Path.of("/sys/fs/cgroup/memory/kubepods");
    // A pod of the previous test may still be torn down: its cgroup can vanish during the walk
    // (the walk then fails and is retried, a bounded number of times) or before its file is read.
    for (int attempt = 1; Files.isDirectory(kubepods); attempt++) {
      try (Stream<Path> s = Files.walk(kubepods)) {
        for (Path p : s.filter(x -> x.getFileName().toString().equals("cgroup.procs")).toList()) {
          try {
            for (String line : Files.readAllLines(p)) if (!line.isBlank()) pids.add(line.trim());
          } catch (NoSuchFileException gone) {
            // that cgroup was removed meanwhile
          }
        }
        break;
      } catch (UncheckedIOException e) {
        if (attempt == 5) throw e;
      }
    }
    try (Stream<Path> s = Files.list(Path.of("/proc"))) {
      for (Path p : s.filter(x -> x.getFileName().toString().matches("\\d+")).toList()) {
        try {
          String cmd = new String(Files.readAllBytes(p.resolve("cmdline"))).replace('\0', ' ');
          if (cmd.contains("containerd-shim-runc-v2") && cmd.contains("k8s.io"))
            pids.add(p.getFileName().toString());
        } catch (IOException ignored) {
          // exited
        }
      }
    }
    long kb = 0;
    for (String pid : pids) {
      try {
        for (String line : Files.readAllLines(Path.of("/proc", pid, "smaps_rollup"))) {
          if (line.startsWith("Pss:")) kb += Long.parseLong(line.replaceAll("\\D", ""));
        }
      } catch (IOException ignored) {
        // exited
      }
    }
    return kb;
  }

  private static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static long[] round(double[] xs) {
    return Arrays.stream(xs).mapToLong(Math::round).toArray();
  }
}
