package io.agentsandbox.k8s.provision;

import io.agentsandbox.core.internal.DaemonThreads;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.SandboxBlueprint;
import io.agentsandbox.core.port.ProvisionListener;
import io.agentsandbox.core.port.SandboxProvisioner;
import io.agentsandbox.k8s.crd.PodTemplate;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxConditions;
import io.agentsandbox.k8s.crd.SandboxSpec;
import io.agentsandbox.k8s.crd.UpstreamKeys;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kubernetes backend of {@link SandboxProvisioner}: a sandbox is an {@code
 * agents.x-k8s.io/v1beta1 Sandbox} named {@code sandboxName} in the pool's namespace, labelled as a
 * member of the pool ({@code agents.x-k8s.io/warm-pool-sandbox=<NameHash(pool)>}). The {@code
 * SandboxReconciler} (run separately) turns it into a pod; this class reports {@link
 * ProvisionListener#onSandboxReady} when the Sandbox's {@code Ready} condition is {@code True},
 * with its {@code status.podIPs}.
 *
 * <p>Threads: {@link #create} and {@link #delete} return at once on any thread; the API calls run
 * on a bounded pool of {@code k8s-io-<n>} threads (queue full → the create fails / the delete is
 * reported at once); readiness comes from a fabric8 informer. Listeners are called on those
 * threads, never on the caller's (except the queue-full rejections). Thread-safe.
 *
 * <p>Contract details: each create is reported exactly once as ready or failed, unless it is
 * deleted first (then only {@code onSandboxDeleted} follows); a delete of an unknown sandbox (404)
 * is reported as deleted. A member deleted by someone else after it was ready is reported with
 * {@code onSandboxDeleted} (the pool then replaces it), unless it was {@link #forget forgotten}
 * (adopted by a claim).
 */
public final class Fabric8SandboxProvisioner implements SandboxProvisioner, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Fabric8SandboxProvisioner.class);

  /** Container name used for the blueprint's single container. */
  public static final String CONTAINER_NAME = "sandbox";

  /**
   * Settings.
   *
   * @param namespace the namespace to watch, or null for all (pools may live in any namespace)
   * @param ioThreads size of the {@code k8s-io} pool (at least 1)
   * @param ioQueueCapacity bound of its work queue (at least 1)
   */
  public record Options(String namespace, int ioThreads, int ioQueueCapacity) {
    public Options {
      if (ioThreads < 1) throw new IllegalArgumentException("ioThreads must be >= 1: " + ioThreads);
      if (ioQueueCapacity < 1)
        throw new IllegalArgumentException("ioQueueCapacity must be >= 1: " + ioQueueCapacity);
    }

    public static Options defaults() {
      return new Options(null, 4, 10_000);
    }
  }

  private record Pending(PoolKey pool, ProvisionListener listener) {}

  private final KubernetesClient client;
  private final Options options;
  private final ThreadPoolExecutor io;
  private final Map<String, Pending> pending =
      new ConcurrentHashMap<>(); // ns/name -> waiting create

  /**
   * Members reported ready and not deleted by us or adopted since (ns/name): a delete by anyone
   * else is reported.
   */
  private final Map<String, Pending> live = new ConcurrentHashMap<>();

  private volatile java.util.function.BiFunction<
          String, String, io.agentsandbox.k8s.crd.SandboxTemplate>
      templates = (ns, n) -> null;
  private volatile SharedIndexInformer<Sandbox> informer;
  private volatile java.util.function.Function<
          PoolKey, io.fabric8.kubernetes.api.model.OwnerReference>
      poolOwner = k -> null;

  /**
   * Annotation on every member: the pool it was created for ({@code namespace/name}); kept after
   * adoption.
   */
  public static final String POOL_ANNOTATION = "agentsandbox.io/pool";

  /**
   * Where the controller owner reference of a pool's members comes from (the pool's {@code
   * SandboxWarmPool}); null from the function means no owner. Any thread.
   */
  public void setPoolOwner(
      java.util.function.Function<PoolKey, io.fabric8.kubernetes.api.model.OwnerReference> lookup) {
    this.poolOwner = Objects.requireNonNull(lookup, "lookup");
  }

  /**
   * While this says so, a member's create waits (up to {@link #MAX_YIELD_NS}): see {@link
   * #setYield}.
   */
  private volatile java.util.function.BooleanSupplier yieldTo = () -> false;

  /** The longest a create waits for queued bindings: refill is deferred, never starved. */
  static final long MAX_YIELD_NS = java.util.concurrent.TimeUnit.SECONDS.toNanos(2);

  private static final long YIELD_STEP_NS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(10);

  /**
   * Pool refill gives way to claims: while {@code bindingsWaiting} says writes that claims wait for
   * are queued, a member's create waits on its {@code k8s-io} thread (10 ms steps, 2 s at most) so
   * that refill never competes with a binding for the API server. Any thread; the supplier must be
   * cheap and must not block.
   */
  public void setYield(java.util.function.BooleanSupplier bindingsWaiting) {
    this.yieldTo = Objects.requireNonNull(bindingsWaiting, "bindingsWaiting");
  }

  /** k8s-io: waits while claims' writes are queued, bounded by {@link #MAX_YIELD_NS}. */
  private void yieldToBindings() {
    long deadline = System.nanoTime() + MAX_YIELD_NS;
    while (yieldTo.getAsBoolean() && System.nanoTime() - deadline < 0) {
      java.util.concurrent.locks.LockSupport.parkNanos(YIELD_STEP_NS);
    }
  }

  /**
   * Where the {@code SandboxTemplate} of a member comes from ({@code (namespace, templateName)} →
   * template or null). With a template, members are built from its full blueprint ({@link
   * TemplateSandboxes#poolMember}); without one, from the engine's single-container {@link
   * SandboxBlueprint}. Any thread; the function must not block (an informer cache).
   */
  public void setTemplateLookup(
      java.util.function.BiFunction<String, String, io.agentsandbox.k8s.crd.SandboxTemplate>
          lookup) {
    this.templates = Objects.requireNonNull(lookup, "lookup");
  }

  /**
   * Stops reporting the member {@code namespace/name} (it is being adopted by a claim, so it leaves
   * this provisioner's label-selected view). Any thread.
   */
  public void forget(String namespace, String sandboxName) {
    live.remove(key(namespace, sandboxName));
  }

  public Fabric8SandboxProvisioner(KubernetesClient client, Options options) {
    this.client = Objects.requireNonNull(client, "client");
    this.options = Objects.requireNonNull(options, "options");
    this.io = DaemonThreads.fixedPool(options.ioThreads(), options.ioQueueCapacity(), "k8s-io-");
  }

  /**
   * Starts watching pool-member Sandboxes.
   *
   * @return completes when the informer has synced
   */
  public CompletableFuture<Void> start() {
    var op = client.resources(Sandbox.class);
    informer =
        (options.namespace() == null ? op.inAnyNamespace() : op.inNamespace(options.namespace()))
            .withLabel(UpstreamKeys.WARM_POOL_SANDBOX)
            .runnableInformer(0);
    informer.addEventHandler(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(Sandbox s) {
            onSandboxObserved(s);
          }

          @Override
          public void onUpdate(Sandbox oldS, Sandbox s) {
            onSandboxObserved(s);
          }

          @Override
          public void onDelete(Sandbox s, boolean finalStateUnknown) {
            if (failPending(s, "the Sandbox was deleted before it was ready")) return;
            Pending member = live.remove(key(s));
            // deleted behind the engine's back (a user, or a Recreate rollout): the pool replaces
            // it
            if (member != null)
              member.listener().onSandboxDeleted(member.pool(), s.getMetadata().getName());
          }
        });
    return informer.start().toCompletableFuture().thenApply(x -> null);
  }

  private static String key(String ns, String name) {
    return ns + "/" + name;
  }

  private static String key(Sandbox s) {
    return key(s.getMetadata().getNamespace(), s.getMetadata().getName());
  }

  /** Informer thread: report a waiting create once its Sandbox is Ready (or terminally failed). */
  private void onSandboxObserved(Sandbox s) {
    String k = key(s);
    if (!pending.containsKey(k) || s.getStatus() == null || s.getStatus().getConditions() == null)
      return;
    Condition ready = null;
    Condition finished = null;
    for (Condition c : s.getStatus().getConditions()) {
      if (SandboxConditions.READY.equals(c.getType())) ready = c;
      if (SandboxConditions.FINISHED.equals(c.getType())) finished = c;
    }
    if (ready != null && "True".equals(ready.getStatus())) {
      Pending p = pending.remove(k);
      List<String> ips =
          s.getStatus().getPodIPs() == null ? List.of() : List.copyOf(s.getStatus().getPodIPs());
      if (p != null) {
        live.put(k, p);
        p.listener().onSandboxReady(p.pool(), s.getMetadata().getName(), ips);
      }
    } else if (finished != null && "True".equals(finished.getStatus())) {
      failPending(s, "the sandbox's pod ended: " + finished.getReason());
    }
  }

  /** Reports the waiting create of {@code s} as failed; false when none was waiting. */
  private boolean failPending(Sandbox s, String reason) {
    Pending p = pending.remove(key(s));
    if (p == null) return false;
    p.listener().onSandboxFailed(p.pool(), s.getMetadata().getName(), reason);
    return true;
  }

  @Override
  public void create(
      PoolKey pool, String sandboxName, SandboxBlueprint blueprint, ProvisionListener listener) {
    Sandbox sandbox;
    try {
      io.agentsandbox.k8s.crd.SandboxTemplate t =
          templates.apply(pool.namespace(), blueprint.templateName());
      sandbox =
          t != null
              ? TemplateSandboxes.poolMember(pool.namespace(), pool.name(), sandboxName, t)
              : sandbox(pool, sandboxName, blueprint);
    } catch (RuntimeException e) {
      listener.onSandboxFailed(pool, sandboxName, "cannot build the Sandbox: " + e.getMessage());
      return;
    }
    io.fabric8.kubernetes.api.model.OwnerReference owner = poolOwner.apply(pool);
    if (owner != null) sandbox.getMetadata().setOwnerReferences(List.of(owner));
    String k = key(pool.namespace(), sandboxName);
    if (pending.putIfAbsent(k, new Pending(pool, listener)) != null) {
      listener.onSandboxFailed(pool, sandboxName, "a create of " + k + " is already in flight");
      return;
    }
    onIo(
        () -> {
          try {
            yieldToBindings();
            if (!pending.containsKey(k)) return; // deleted while it waited
            client
                .resources(Sandbox.class)
                .inNamespace(pool.namespace())
                .resource(sandbox)
                .create();
          } catch (KubernetesClientException e) {
            Pending p = pending.remove(k);
            LOG.debug("sandbox {}: create failed: {}", k, e.getMessage());
            if (p != null)
              listener.onSandboxFailed(
                  pool, sandboxName, "create failed (" + e.getCode() + "): " + e.getMessage());
          } catch (RuntimeException e) {
            pending.remove(k);
            listener.onSandboxFailed(pool, sandboxName, "create failed: " + e);
          }
        },
        () -> {
          pending.remove(k);
          listener.onSandboxFailed(
              pool, sandboxName, "the Kubernetes backend is overloaded (k8s-io queue full)");
        });
  }

  @Override
  public void delete(PoolKey pool, String sandboxName, ProvisionListener listener) {
    String k = key(pool.namespace(), sandboxName);
    pending.remove(k); // NOTE: a delete supersedes a waiting create: only onSandboxDeleted follows
    live.remove(k);
    onIo(
        () -> {
          try {
            client
                .resources(Sandbox.class)
                .inNamespace(pool.namespace())
                .withName(sandboxName)
                .delete();
          } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
              LOG.warn(
                  "sandbox {}: delete failed ({}); reported as deleted, garbage collection of the"
                      + " pool cleans up: {}",
                  k,
                  e.getCode(),
                  e.getMessage());
            }
          }
          listener.onSandboxDeleted(pool, sandboxName);
        },
        () -> {
          LOG.warn("sandbox {}: k8s-io queue full; delete dropped", k);
          listener.onSandboxDeleted(pool, sandboxName);
        });
  }

  /** Runs {@code call} on the k8s-io pool, or {@code queueFull} here when its queue is full. */
  private void onIo(Runnable call, Runnable queueFull) {
    try {
      io.execute(call);
    } catch (RejectedExecutionException e) {
      queueFull.run();
    }
  }

  /** The Sandbox object for a pool member: blueprint → single-container pod template. */
  static Sandbox sandbox(PoolKey pool, String sandboxName, SandboxBlueprint blueprint) {
    ContainerBuilder c =
        new ContainerBuilder().withName(CONTAINER_NAME).withImage(blueprint.image());
    if (!blueprint.command().isEmpty()) c.withCommand(blueprint.command());
    if (!blueprint.args().isEmpty()) c.withArgs(blueprint.args());
    List<EnvVar> env = new ArrayList<>();
    blueprint.env().forEach((n, v) -> env.add(new EnvVar(n, v, null)));
    if (!env.isEmpty()) c.withEnv(env);
    Map<String, Quantity> limits = new LinkedHashMap<>();
    if (blueprint.cpuMillis() > 0) limits.put("cpu", new Quantity(blueprint.cpuMillis() + "m"));
    if (blueprint.memoryBytes() > 0)
      limits.put("memory", new Quantity(Long.toString(blueprint.memoryBytes())));
    if (!limits.isEmpty()) c.withNewResources().withLimits(limits).endResources();
    PodSpec podSpec = new PodSpec();
    podSpec.setContainers(List.of(c.build()));
    if (!blueprint.runtimeClass().isDefault())
      podSpec.setRuntimeClassName(blueprint.runtimeClass().name());
    podSpec.setAutomountServiceAccountToken(false);

    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(UpstreamKeys.WARM_POOL_SANDBOX, UpstreamKeys.nameHash(pool.name()));
    labels.put(
        UpstreamKeys.SANDBOX_TEMPLATE_REF_HASH, UpstreamKeys.nameHash(blueprint.templateName()));
    labels.put(UpstreamKeys.CREATED_BY, "controller");
    ObjectMeta meta = new ObjectMeta();
    meta.setName(sandboxName);
    meta.setNamespace(pool.namespace());
    meta.setLabels(labels);
    meta.setAnnotations(
        Map.of(
            UpstreamKeys.SANDBOX_TEMPLATE_REF,
            blueprint.templateName(),
            POOL_ANNOTATION,
            pool.namespace() + "/" + pool.name()));

    SandboxSpec spec = new SandboxSpec();
    io.agentsandbox.k8s.crd.PodMetadata podMeta = new io.agentsandbox.k8s.crd.PodMetadata();
    podMeta.setAnnotations(new LinkedHashMap<>(Map.of(UpstreamKeys.SAFE_TO_EVICT, "true")));
    spec.setPodTemplate(new PodTemplate(podMeta, podSpec));
    Sandbox s = new Sandbox();
    s.setMetadata(meta);
    s.setSpec(spec);
    return s;
  }

  @Override
  public String backendName() {
    return "kubernetes";
  }

  /** Creates still waiting for readiness. */
  public int pendingCreates() {
    return pending.size();
  }

  @Override
  public void close() {
    SharedIndexInformer<Sandbox> i = informer;
    if (i != null) i.close();
    DaemonThreads.shutdown(io, 5_000);
  }
}
