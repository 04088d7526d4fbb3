package io.agentsandbox.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.crd.SandboxWarmPool;
import io.agentsandbox.k8s.testing.ClusterFixtures;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The single-node cluster that {@code scripts/real-node.sh up} started (real kubelet, containerd,
 * gVisor): its admin client, CRD installation, namespaces, the local images, and small helpers the
 * E2E tests share. Only the test thread uses it.
 */
public final class RealNode {

  /** Local images imported by scripts/real-node.sh (no registry; never pulled). */
  public static final String PYTHON_IMAGE = "localhost/python:e2e";

  public static final String BUSYBOX_IMAGE = "localhost/busybox:e2e";
  public static final String GVISOR = "gvisor";

  private RealNode() {}

  public static Path kubeconfig() {
    String env = System.getenv("AGENTSANDBOX_E2E_KUBECONFIG");
    Path p =
        env != null && !env.isBlank()
            ? Path.of(env)
            : Path.of(
                System.getProperty("user.home"),
                ".cache/agent-sandbox/real-node/state/etc/admin.kubeconfig");
    if (!Files.isReadable(p)) {
      throw new IllegalStateException(
          "no real node: "
              + p
              + " is missing; run scripts/e2e.sh (or scripts/real-node.sh up first)");
    }
    return p;
  }

  public static KubernetesClient client() throws IOException {
    Config config = Config.fromKubeconfig(Files.readString(kubeconfig()));
    config.setRequestTimeout(30_000);
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  public static Path logsDir() throws IOException {
    Path d = Path.of(System.getProperty("agentsandbox.e2e.logs", "target/e2e-logs"));
    Files.createDirectories(d);
    return d;
  }

  /**
   * Applies every CRD in crds/ (as users do: kubectl apply -f crds/) and waits until they are
   * Established.
   */
  public static void installCrds(KubernetesClient c) throws IOException {
    Path dir = Path.of(System.getProperty("agentsandbox.crds.dir", "../crds"));
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertThat(files).as("CRD files in " + dir).isNotEmpty();
    for (Path f : files) {
      try (InputStream in = Files.newInputStream(f)) {
        for (HasMetadata o : c.load(in).items()) {
          c.resource(o).forceConflicts().serverSideApply();
          if (o instanceof CustomResourceDefinition crd) {
            c.apiextensions()
                .v1()
                .customResourceDefinitions()
                .withName(crd.getMetadata().getName())
                .waitUntilCondition(
                    x ->
                        x != null
                            && x.getStatus() != null
                            && x.getStatus().getConditions() != null
                            && x.getStatus().getConditions().stream()
                                .anyMatch(
                                    k ->
                                        "Established".equals(k.getType())
                                            && "True".equals(k.getStatus())),
                    60,
                    TimeUnit.SECONDS);
          }
        }
      }
    }
  }

  public static String newNamespace(KubernetesClient c, String prefix) {
    String ns =
        prefix + "-" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20, 1 << 24), 36);
    c.namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .create();
    // the namespace's default ServiceAccount must exist before pods can be created there
    await(
        60,
        "ServiceAccount default in " + ns,
        () -> c.serviceAccounts().inNamespace(ns).withName("default").get() != null);
    return ns;
  }

  /**
   * Deletes the namespace's sandboxes' pods at once (grace 0: kubelet 1.20's graceful delete takes
   * 9-60 s), then the namespace.
   */
  public static void deleteNamespace(KubernetesClient c, String ns) {
    try {
      c.pods().inNamespace(ns).withGracePeriod(0).delete();
      c.namespaces().withName(ns).delete();
    } catch (RuntimeException e) {
      System.err.println("cleanup of namespace " + ns + " failed: " + e);
    }
  }

  /**
   * A SandboxTemplate (one container that idles; gVisor unless runtimeClass is null) and a
   * SandboxWarmPool of it.
   */
  public static void createTemplateAndPool(
      KubernetesClient c, String ns, String name, String runtimeClass, int replicas) {
    ClusterFixtures.createTemplateAndPool(
        c,
        ns,
        name,
        name,
        replicas,
        new PodSpecBuilder()
            .withRuntimeClassName(runtimeClass)
            .withTerminationGracePeriodSeconds(1L)
            .withEnableServiceLinks(false)
            .withContainers(
                new ContainerBuilder()
                    .withName("agent-runtime")
                    .withImage(PYTHON_IMAGE)
                    .withImagePullPolicy("Never")
                    .withCommand("/bin/sleep", "2147483647")
                    .build())
            .build());
  }

  public static void scalePool(KubernetesClient c, String ns, String pool, int replicas) {
    c.resources(SandboxWarmPool.class)
        .inNamespace(ns)
        .withName(pool)
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"replicas\":" + replicas + "}}");
  }

  /**
   * The pool's members (Sandboxes still owned by the pool) whose pods run on the node and are
   * Ready.
   */
  public static List<Pod> readyMembers(KubernetesClient c, String ns, String pool) {
    return c.pods().inNamespace(ns).list().getItems().stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null && podReady(p))
        .filter(
            p -> {
              Sandbox s =
                  c.resources(Sandbox.class)
                      .inNamespace(ns)
                      .withName(p.getMetadata().getName())
                      .get();
              return s != null
                  && s.getMetadata().getOwnerReferences() != null
                  && s.getMetadata().getOwnerReferences().stream()
                      .anyMatch(
                          o -> "SandboxWarmPool".equals(o.getKind()) && pool.equals(o.getName()));
            })
        .toList();
  }

  public static List<Pod> awaitReadyMembers(
      KubernetesClient c, String ns, String pool, int n, int seconds) {
    List<Pod>[] last = new List[1];
    await(
        seconds,
        n + " ready members of pool " + ns + "/" + pool + " on the node",
        () -> {
          last[0] = readyMembers(c, ns, pool);
          return last[0].size() >= n;
        });
    return last[0];
  }

  public static boolean podReady(Pod p) {
    if (p.getStatus() == null
        || !"Running".equals(p.getStatus().getPhase())
        || p.getStatus().getConditions() == null) return false;
    for (PodCondition k : p.getStatus().getConditions()) {
      if ("Ready".equals(k.getType())) return "True".equals(k.getStatus());
    }
    return false;
  }

  public static SandboxClaim awaitBound(KubernetesClient c, String ns, String name, int seconds) {
    SandboxClaim[] last = new SandboxClaim[1];
    await(
        seconds,
        "claim " + ns + "/" + name + " bound and Ready",
        () -> {
          last[0] = c.resources(SandboxClaim.class).inNamespace(ns).withName(name).get();
          return last[0] != null
              && last[0].getStatus() != null
              && last[0].getStatus().getSandbox() != null
              && last[0].getStatus().getSandbox().getName() != null
              && "True".equals(status(last[0].getStatus().getConditions(), "Ready"));
        },
        () -> String.valueOf(last[0] == null ? null : last[0].getStatus()));
    // the adoption of the Sandbox follows the binding, off the claim's critical path
    io.agentsandbox.k8s.testing.ClusterFixtures.awaitAdopted(
        c, ns, last[0].getStatus().getSandbox().getName(), last[0].getMetadata().getUid());
    return last[0];
  }

  public static String status(List<Condition> conditions, String type) {
    return condition(conditions, type) == null ? null : condition(conditions, type).getStatus();
  }

  public static Condition condition(List<Condition> conditions, String type) {
    if (conditions == null) return null;
    return conditions.stream().filter(k -> type.equals(k.getType())).findFirst().orElse(null);
  }

  /**
   * Result of a command run in a pod through the API server's pods/exec (apiserver -> kubelet ->
   * containerd).
   */
  public record Exec(int exitCode, String stdout, String stderr) {}

  /**
   * Exec in the pod's first container (warm pool members name it "sandbox", whatever the template
   * said).
   */
  public static Exec exec(KubernetesClient c, String ns, String pod, String... command) {
    return execIn(
        c,
        ns,
        pod,
        c.pods().inNamespace(ns).withName(pod).get().getSpec().getContainers().get(0).getName(),
        command);
  }

  public static Exec execIn(
      KubernetesClient c, String ns, String pod, String container, String... command) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try (ExecWatch w =
        c.pods()
            .inNamespace(ns)
            .withName(pod)
            .inContainer(container)
            .writingOutput(out)
            .writingError(err)
            .exec(command)) {
      Integer code = w.exitCode().get(60, TimeUnit.SECONDS);
      return new Exec(
          code == null ? -1 : code,
          out.toString(StandardCharsets.UTF_8),
          err.toString(StandardCharsets.UTF_8));
    } catch (Exception e) {
      Pod p = c.pods().inNamespace(ns).withName(pod).get();
      throw new AssertionError(
          "exec "
              + String.join(" ", command)
              + " in "
              + ns
              + "/"
              + pod
              + " failed; the pod: "
              + (p == null ? "gone" : p.getSpec().getContainers() + " " + p.getStatus()),
          e);
    }
  }

  /**
   * Bounded polling (every 100 ms) until the condition holds; fails with the description after the
   * deadline.
   */
  public static void await(int seconds, String what, BooleanSupplier condition) {
    await(seconds, what, condition, () -> "");
  }

  public static void await(
      int seconds, String what, BooleanSupplier condition, Supplier<String> detail) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    RuntimeException lastError = null;
    while (System.nanoTime() < deadline) {
      try {
        if (condition.getAsBoolean()) return;
        lastError = null;
      } catch (RuntimeException e) {
        lastError = e; // transient API errors: keep polling until the deadline
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for " + what);
      }
    }
    AssertionError e =
        new AssertionError("not within " + seconds + " s: " + what + " " + detail.get());
    if (lastError != null) e.initCause(lastError);
    throw e;
  }

  public static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }
}
