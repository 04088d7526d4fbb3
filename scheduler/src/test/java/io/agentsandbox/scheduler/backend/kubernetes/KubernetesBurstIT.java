package io.agentsandbox.scheduler.backend.kubernetes;

import static io.agentsandbox.k8s.testing.ClusterFixtures.awaitPoolReady;
import static io.agentsandbox.k8s.testing.ClusterFixtures.claim;
import static io.agentsandbox.k8s.testing.ClusterFixtures.controllerOf;
import static io.agentsandbox.k8s.testing.ClusterFixtures.createTemplateAndPool;
import static io.agentsandbox.scheduler.backend.kubernetes.KubernetesBackendIT.delta;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.k8s.crd.AgentSandboxAnnotations;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.crd.SandboxWarmPool;
import io.agentsandbox.k8s.testing.Kubelet;
import io.agentsandbox.k8s.testing.LocalApiServer;
import io.agentsandbox.k8s.testing.LocalApiServerExtension;
import io.agentsandbox.k8s.testing.LocalApiServerExtension.TestNamespace;
import io.agentsandbox.scheduler.SchedulerServer;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Warm SandboxClaims at scale on a real kube-apiserver (this test plays the kubelet): 500 claims
 * created at once against a 500-member pool, every claim bound once, no Sandbox owned by two
 * claims, API writes per claim counted; a steady 20 claims/s for 30 s; the controller restarted in
 * the middle of a 500-claim burst. Latency (create → Ready seen by a watching client, as an
 * upstream SDK waits) and writes go to {@code target/k8s-claims-figures.md}; nothing is asserted
 * about time (figures are reported, see benchmarks/RESULTS.md).
 */
@ExtendWith(LocalApiServerExtension.class)
class KubernetesBurstIT {

  private static final Path FIGURES = Path.of("target", "k8s-claims-figures.md");

  @TempDir Path tmp;
  private SchedulerServer server;
  private Kubelet.Node kubelet;
  private SharedIndexInformer<SandboxClaim> watcher;

  @AfterEach
  void tearDown() throws Exception {
    if (watcher != null) watcher.close();
    if (server != null)
      server.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    if (kubelet != null) kubelet.close();
  }

  private SchedulerServer startServer(LocalApiServer api, String ns) throws Exception {
    return KubernetesBackendIT.start(api, tmp, ns);
  }

  /** Records, per claim name, when a watching client first sees it bound and Ready. */
  private static final class ReadyWatch {
    final Map<String, Long> readyAtNs = new ConcurrentHashMap<>();
    final Map<String, String> sandboxOf = new ConcurrentHashMap<>();

    SharedIndexInformer<SandboxClaim> start(KubernetesClient c, String ns) {
      return c.resources(SandboxClaim.class)
          .inNamespace(ns)
          .inform(
              new ResourceEventHandler<>() {
                @Override
                public void onAdd(SandboxClaim x) {
                  seen(x);
                }

                @Override
                public void onUpdate(SandboxClaim o, SandboxClaim x) {
                  seen(x);
                }

                @Override
                public void onDelete(SandboxClaim x, boolean unknown) {}
              });
    }

    private void seen(SandboxClaim x) {
      if (x.getStatus() == null
          || x.getStatus().getSandbox() == null
          || x.getStatus().getSandbox().getName() == null
          || x.getStatus().getConditions() == null) {
        return;
      }
      for (Condition k : x.getStatus().getConditions()) {
        if ("Ready".equals(k.getType()) && "True".equals(k.getStatus())) {
          long now = System.nanoTime();
          readyAtNs.putIfAbsent(x.getMetadata().getName(), now);
          sandboxOf.putIfAbsent(x.getMetadata().getName(), x.getStatus().getSandbox().getName());
        }
      }
    }

    void await(List<String> names, long seconds) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      while (System.nanoTime() < deadline) {
        if (readyAtNs.keySet().containsAll(names)) return;
        TimeUnit.MILLISECONDS.sleep(50); // poll interval of a bounded poll
      }
      List<String> missing = names.stream().filter(n -> !readyAtNs.containsKey(n)).toList();
      throw new AssertionError(
          missing.size()
              + " claim(s) never became Ready, e.g. "
              + missing.subList(0, Math.min(5, missing.size())));
    }
  }

  @Test
  void shouldBindA500ClaimBurstOnceEachAndMeasureIt(
      LocalApiServer api, KubernetesClient c, TestNamespace tns) throws Exception {
    String ns = tns.name();
    int n = 500;
    kubelet = Kubelet.play(c, ns, 6);
    createTemplateAndPool(c, ns, "burst", "burst-pool", n);
    allowManyClaims(c, ns, "burst-pool");
    long fill0 = System.nanoTime();
    server = startServer(api, ns);
    awaitPoolReady(c, ns, "burst-pool", n);
    long fillMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - fill0);
    ReadyWatch watch = new ReadyWatch();
    watcher = watch.start(c, ns);

    // baseline in the same run: one API write (ConfigMap create), sequential, on the same server
    long[] oneWrite = new long[100];
    for (int i = 0; i < oneWrite.length; i++) {
      long w0 = System.nanoTime();
      c.configMaps()
          .inNamespace(ns)
          .resource(
              new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                  .withNewMetadata()
                  .withName("baseline-" + i)
                  .endMetadata()
                  .addToData("k", "v")
                  .build())
          .create();
      oneWrite[i] = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - w0);
    }
    Arrays.sort(oneWrite);
    System.out.printf(
        "BASELINE: one API write (ConfigMap create, sequential): p50 %.1f ms, p99 %.1f ms%n",
        pct(oneWrite, 50) / 1000.0, pct(oneWrite, 99) / 1000.0);
    server.kubernetes().drainBindTimesMs();

    // 1. burst: n claims created at once
    Map<String, Long> before = server.kubernetes().apiWrites();
    Map<String, Long> createdAtNs = new ConcurrentHashMap<>();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < n; i++) names.add("burst-" + i);
    long t0 = System.nanoTime();
    List<Long> createMs = java.util.Collections.synchronizedList(new ArrayList<>());
    createAll(c, ns, "burst-pool", names, createdAtNs, 32, createMs);
    watch.await(names, 120);
    long burstWallMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    Map<String, Long> burstWrites = delta(before, server.kubernetes().apiWrites());
    long[] burstLat = latenciesMs(names, createdAtNs, watch.readyAtNs);
    long[][] burstBind = server.kubernetes().drainBindTimesMs();
    long[] burstCreate = createMs.stream().mapToLong(Long::longValue).sorted().toArray();

    assertOncePerClaim(c, ns, names, watch.sandboxOf);
    long claimPath = claimPathWrites(burstWrites);
    assertThat(claimPath).as("claim-path writes %s", burstWrites).isLessThanOrEqualTo(3L * n);
    System.out.printf(
        "BURST: %d claims: p50 %d ms, p90 %d ms, p99 %d ms, max %d ms, wall %d ms; claim-path writes/claim %.2f; writes %s%n",
        n,
        pct(burstLat, 50),
        pct(burstLat, 90),
        pct(burstLat, 99),
        burstLat[n - 1],
        burstWallMs,
        claimPath / (double) n,
        burstWrites);
    // let the pool refill before the steady phase
    awaitPoolReady(c, ns, "burst-pool", n);

    // 2. steady rate: 20 claims/s for 30 s (open loop)
    int rate = 20;
    int seconds = 30;
    List<String> steady = new ArrayList<>();
    for (int i = 0; i < rate * seconds; i++) steady.add("steady-" + i);
    Map<String, Long> beforeSteady = server.kubernetes().apiWrites();
    ScheduledExecutorService ticker = Executors.newScheduledThreadPool(4);
    CountDownLatch sent = new CountDownLatch(steady.size());
    try {
      for (int i = 0; i < steady.size(); i++) {
        String name = steady.get(i);
        ticker.schedule(
            () -> {
              try {
                createdAtNs.put(name, System.nanoTime());
                c.resources(SandboxClaim.class)
                    .inNamespace(ns)
                    .resource(claim(ns, name, "burst-pool"))
                    .create();
              } finally {
                sent.countDown();
              }
            },
            i * 1000L / rate,
            TimeUnit.MILLISECONDS);
      }
      assertThat(sent.await(seconds + 60, TimeUnit.SECONDS)).isTrue();
    } finally {
      ticker.shutdown();
    }
    watch.await(steady, 120);
    long[][] steadyBind = server.kubernetes().drainBindTimesMs();
    Map<String, Long> steadyWrites = delta(beforeSteady, server.kubernetes().apiWrites());
    long[] steadyLat = latenciesMs(steady, createdAtNs, watch.readyAtNs);
    List<String> all = new ArrayList<>(names);
    all.addAll(steady);
    assertOncePerClaim(c, ns, all, watch.sandboxOf);

    String fig =
        """
        ## Kubernetes adapter: warm SandboxClaim create -> Ready (KubernetesBurstIT)

        | scenario | claims | p50 ms | p90 ms | p99 ms | max ms | wall ms | claim-path writes/claim | all writes/claim (incl. pod relabel, refill) |
        |---|---|---|---|---|---|---|---|---|
        | burst (all at once, 32 creator threads) | %d | %d | %d | %d | %d | %d | %.2f | %.2f |
        | steady %d/s for %d s | %d | %d | %d | %d | %d | - | %.2f | %.2f |

        Breakdown (p50 / p99 ms): the client's SandboxClaim create call %s; in the controller, per binding, wait for a
        k8s-bind thread burst %s, steady %s; the binding's 2 writes (adoption patch + claim status) burst %s, steady %s.
        Baseline, same server, same run: one API write (ConfigMap create, sequential, before the burst) p50 %.1f / p99 %.1f ms.

        Pool of %d filled (0 -> %d Ready, test kubelet) in %d ms.
        Burst writes by request: %s
        Steady writes by request: %s
        """
            .formatted(
                n,
                pct(burstLat, 50),
                pct(burstLat, 90),
                pct(burstLat, 99),
                burstLat[burstLat.length - 1],
                burstWallMs,
                claimPath / (double) n,
                total(burstWrites) / (double) n,
                rate,
                seconds,
                steady.size(),
                pct(steadyLat, 50),
                pct(steadyLat, 90),
                pct(steadyLat, 99),
                steadyLat[steadyLat.length - 1],
                claimPathWrites(steadyWrites) / (double) steady.size(),
                total(steadyWrites) / (double) steady.size(),
                pp(burstCreate),
                pp(burstBind[0]),
                pp(steadyBind[0]),
                pp(burstBind[1]),
                pp(steadyBind[1]),
                pct(oneWrite, 50) / 1000.0,
                pct(oneWrite, 99) / 1000.0,
                n,
                n,
                fillMs,
                burstWrites,
                steadyWrites);
    System.out.println(fig);
    Files.createDirectories(FIGURES.getParent());
    Files.writeString(FIGURES, fig);
    assertThat(claimPathWrites(steadyWrites)).isLessThanOrEqualTo(3L * steady.size());
  }

  @Test
  void shouldBindA500ClaimBurstOnceEachAcrossAControllerRestart(
      LocalApiServer api, KubernetesClient c, TestNamespace tns) throws Exception {
    String ns = tns.name();
    int n = 500;
    kubelet = Kubelet.play(c, ns, 6);
    createTemplateAndPool(c, ns, "restart", "restart-pool", n);
    allowManyClaims(c, ns, "restart-pool");
    server = startServer(api, ns);
    awaitPoolReady(c, ns, "restart-pool", n);
    ReadyWatch watch = new ReadyWatch();
    watcher = watch.start(c, ns);
    List<String> first = new ArrayList<>();
    List<String> second = new ArrayList<>();
    for (int i = 0; i < n; i++) (i < n / 2 ? first : second).add("r-" + i);
    Map<String, Long> createdAtNs = new ConcurrentHashMap<>();
    ExecutorService creators = Executors.newFixedThreadPool(16);
    try {
      List<Future<?>> inFlight = new ArrayList<>();
      for (String name : first)
        inFlight.add(
            creators.submit(
                () ->
                    c.resources(SandboxClaim.class)
                        .inNamespace(ns)
                        .resource(claim(ns, name, "restart-pool"))
                        .create()));
      // stop the controller as soon as some claims are bound: the rest are mid-binding or unseen
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (watch.readyAtNs.size() < 20 && System.nanoTime() < deadline)
        TimeUnit.MILLISECONDS.sleep(10); // bounded poll
      server.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      int boundAtStop = watch.readyAtNs.size();
      for (String name : second)
        inFlight.add(
            creators.submit(
                () ->
                    c.resources(SandboxClaim.class)
                        .inNamespace(ns)
                        .resource(claim(ns, name, "restart-pool"))
                        .create()));
      server = startServer(api, ns);
      for (Future<?> f : inFlight) f.get(60, TimeUnit.SECONDS);
      List<String> all = new ArrayList<>(first);
      all.addAll(second);
      watch.await(all, 180);
      assertOncePerClaim(c, ns, all, watch.sandboxOf);
      System.out.printf(
          "RESTART BURST: %d of %d claims were Ready when the controller stopped; all %d bound once each after the restart%n",
          boundAtStop, n, n);
    } finally {
      creators.shutdownNow();
    }
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Lifts the per-tenant claim cap (default 1000) on the pool: every claim here is tenant
   * "default".
   */
  private static void allowManyClaims(KubernetesClient c, String ns, String pool) {
    c.resources(SandboxWarmPool.class)
        .inNamespace(ns)
        .withName(pool)
        .edit(
            p -> {
              p.getMetadata()
                  .setAnnotations(Map.of(AgentSandboxAnnotations.MAX_CLAIMS_PER_TENANT, "100000"));
              return p;
            });
  }

  private static void createAll(
      KubernetesClient c,
      String ns,
      String pool,
      List<String> names,
      Map<String, Long> createdAtNs,
      int threads,
      List<Long> createMs)
      throws Exception {
    ExecutorService creators = Executors.newFixedThreadPool(threads);
    CountDownLatch go = new CountDownLatch(1);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (String name : names) {
        fs.add(
            creators.submit(
                () -> {
                  go.await();
                  long s0 = System.nanoTime();
                  createdAtNs.put(name, s0);
                  SandboxClaim made =
                      c.resources(SandboxClaim.class)
                          .inNamespace(ns)
                          .resource(claim(ns, name, pool))
                          .create();
                  createMs.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - s0));
                  return made;
                }));
      }
      go.countDown();
      for (Future<?> f : fs) f.get(120, TimeUnit.SECONDS);
    } finally {
      creators.shutdown();
    }
  }

  /** Every claim bound to its own Sandbox, which its claim alone controls. */
  private static void assertOncePerClaim(
      KubernetesClient c, String ns, List<String> names, Map<String, String> sandboxOf) {
    Set<String> sandboxes = new HashSet<>();
    for (String name : names) sandboxes.add(sandboxOf.get(name));
    assertThat(sandboxes).doesNotContainNull().hasSize(names.size());
    Map<String, String> claimUid = new HashMap<>();
    for (SandboxClaim cl : c.resources(SandboxClaim.class).inNamespace(ns).list().getItems()) {
      claimUid.put(cl.getMetadata().getName(), cl.getMetadata().getUid());
    }
    Map<String, Sandbox> byName = new HashMap<>();
    for (Sandbox s : c.resources(Sandbox.class).inNamespace(ns).list().getItems()) {
      long claimOwners =
          s.getMetadata().getOwnerReferences() == null
              ? 0
              : s.getMetadata().getOwnerReferences().stream()
                  .filter(o -> "SandboxClaim".equals(o.getKind()))
                  .count();
      assertThat(claimOwners).as(s.getMetadata().getName()).isLessThanOrEqualTo(1);
      byName.put(s.getMetadata().getName(), s);
    }
    for (String name : names) {
      Sandbox s = byName.get(sandboxOf.get(name));
      assertThat(s).as("sandbox of " + name).isNotNull();
      OwnerReference ctl = controllerOf(s);
      assertThat(ctl.getKind()).isEqualTo("SandboxClaim");
      assertThat(ctl.getUid()).isEqualTo(claimUid.get(name));
    }
  }

  private static long[] latenciesMs(
      List<String> names, Map<String, Long> createdAtNs, Map<String, Long> readyAtNs) {
    long[] out = new long[names.size()];
    for (int i = 0; i < out.length; i++) {
      String n = names.get(i);
      out[i] = TimeUnit.NANOSECONDS.toMillis(Math.max(0, readyAtNs.get(n) - createdAtNs.get(n)));
    }
    Arrays.sort(out);
    return out;
  }

  private static String pp(long[] sorted) {
    return sorted.length == 0 ? "-" : pct(sorted, 50) + " / " + pct(sorted, 99);
  }

  private static long pct(long[] sorted, int p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  /** The writes that bind a SandboxClaim: adoption patch of the Sandbox and the claim's status. */
  private static long claimPathWrites(Map<String, Long> delta) {
    return delta.getOrDefault("PATCH sandboxes", 0L)
        + delta.getOrDefault("PATCH sandboxclaims/status", 0L)
        + delta.getOrDefault("PUT sandboxclaims", 0L)
        + delta.getOrDefault("PATCH sandboxclaims", 0L);
  }

  private static long total(Map<String, Long> delta) {
    return delta.values().stream().mapToLong(Long::longValue).sum();
  }
}
