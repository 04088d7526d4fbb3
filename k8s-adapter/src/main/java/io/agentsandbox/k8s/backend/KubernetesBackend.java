package io.agentsandbox.k8s.backend;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.port.AgentLocator;
import io.agentsandbox.core.port.BindingStore;
import io.agentsandbox.core.port.ClaimSubmitter;
import io.agentsandbox.core.port.PoolCatalogListener;
import io.agentsandbox.k8s.agent.AgentInjection;
import io.agentsandbox.k8s.agent.KubernetesAgentLocator;
import io.agentsandbox.k8s.crd.AgentSandboxAnnotations;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.crd.SandboxWarmPool;
import io.agentsandbox.k8s.provision.Fabric8SandboxProvisioner;
import io.agentsandbox.k8s.provision.TemplateSandboxes;
import io.agentsandbox.k8s.reconcile.ControllerRefs;
import io.agentsandbox.k8s.reconcile.SandboxReconciler;
import io.agentsandbox.k8s.reconcile.SandboxTemplateReconciler;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kubernetes backend, as wiring: the fabric8 client, the in-process Sandbox and SandboxTemplate
 * reconcilers, the {@link Fabric8SandboxProvisioner} (pool members, with its own write lane), the
 * informers ({@link ClusterCaches}), the {@link ClaimController} that owns every claim's state on
 * its one thread, the {@link Bindings} store (one API write per binding), and the two write lanes
 * ({@link WriteQueues}).
 *
 * <p>Threads: informer handlers only post to the claim controller; API writes run on the {@code
 * k8s-bind-<n>} (a claim waits for them) and {@code k8s-write-<n>} (background) lanes; nothing here
 * runs on, or blocks, a shard's event loop. {@link #start} blocks its caller (start-up only).
 * Thread-safe.
 *
 * <p>Claim ids: a {@code SandboxClaim} made by a user is the engine's claim {@code sc:<ns>/<name>};
 * a claim made over HTTP keeps its {@code cl-...} id and gets a {@code SandboxClaim} of that name
 * (annotated {@link #CLAIM_ID}) created inside {@link BindingStore#persist}.
 */
public final class KubernetesBackend implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(KubernetesBackend.class);

  /** Annotation on a SandboxClaim the HTTP API created: the engine's claim id. */
  public static final String CLAIM_ID = AgentSandboxAnnotations.PREFIX + "claim-id";

  /** Annotation on an HTTP-created SandboxClaim: wall-clock expiry (epoch ms), absent for none. */
  public static final String EXPIRES_AT_MS = AgentSandboxAnnotations.PREFIX + "expires-at-ms";

  /** Annotation on an HTTP-created SandboxClaim: the claim's TTL in ms. */
  public static final String TTL_MS = AgentSandboxAnnotations.PREFIX + "ttl-ms";

  /** Upstream's claim reason for a missing pool. */
  public static final String REASON_WARM_POOL_NOT_FOUND = "WarmPoolNotFound";

  /** Upstream's claim reason for a pool whose SandboxTemplate is missing. */
  public static final String REASON_TEMPLATE_NOT_FOUND = "TemplateNotFound";

  /** Upstream's claim reason once {@code spec.lifecycle} expired it (policy Retain). */
  public static final String REASON_CLAIM_EXPIRED = "ClaimExpired";

  static final String REASON_RECONCILER_ERROR = "ReconcilerError";
  private static final String EXT_API_VERSION = SandboxClaim.GROUP + "/" + SandboxClaim.VERSION;

  /**
   * Settings.
   *
   * @param namespace namespace to watch, null for all
   * @param ioThreads API-write threads
   * @param defaultWaitMs wait of a SandboxClaim without {@code agentsandbox.io/wait-ms}
   * @param maxWaitMs largest wait
   * @param clock wall clock of claim expiry ({@code spec.lifecycle}) and condition times
   * @param labelDomains allow-list of label domains for a claim's {@code additionalPodMetadata}
   * @param agent the in-sandbox agent's injection into Sandbox pods (off unless given a key)
   */
  public record Options(
      String namespace,
      int ioThreads,
      long defaultWaitMs,
      long maxWaitMs,
      java.time.Clock clock,
      java.util.Set<String> labelDomains,
      AgentInjection.Options agent) {
    public Options {
      if (ioThreads < 1) throw new IllegalArgumentException("ioThreads must be >= 1");
      Objects.requireNonNull(clock, "clock");
      labelDomains = java.util.Set.copyOf(labelDomains);
      Objects.requireNonNull(agent, "agent");
    }

    public Options(
        String namespace,
        int ioThreads,
        long defaultWaitMs,
        long maxWaitMs,
        java.time.Clock clock,
        java.util.Set<String> labelDomains) {
      this(
          namespace,
          ioThreads,
          defaultWaitMs,
          maxWaitMs,
          clock,
          labelDomains,
          AgentInjection.Options.disabled());
    }

    public Options(String namespace, int ioThreads, long defaultWaitMs, long maxWaitMs) {
      this(
          namespace,
          ioThreads,
          defaultWaitMs,
          maxWaitMs,
          java.time.Clock.systemUTC(),
          TemplateSandboxes.DEFAULT_LABEL_DOMAINS);
    }

    /** The same options with another clock (tests). */
    public Options withClock(java.time.Clock c) {
      return new Options(namespace, ioThreads, defaultWaitMs, maxWaitMs, c, labelDomains, agent);
    }

    /** The same options with the agent's injection settings. */
    public Options withAgent(AgentInjection.Options a) {
      return new Options(namespace, ioThreads, defaultWaitMs, maxWaitMs, clock, labelDomains, a);
    }

    public static Options defaults() {
      return new Options(null, 16, 10_000, 300_000); // claim-path write threads
    }
  }

  private volatile boolean quiesced;
  private final KubernetesClient client;

  /**
   * The same client, closed last (kept apart so RBAC derivation sees only API calls on {@code
   * client}).
   */
  private final AutoCloseable ownClient;

  private final Options options;
  private final Fabric8SandboxProvisioner provisioner;
  private final SandboxReconciler sandboxReconciler;
  private final SandboxTemplateReconciler templateReconciler;
  private final AgentLocator agentLocator;
  private final Map<String, LongAdder> writes = new ConcurrentHashMap<>();
  private final WriteQueues queues;
  private final ClusterCaches caches;
  private final ClaimStatusWriter status;
  private final Bindings bindings;
  private final ClaimController controller;
  private final PoolStatusWriter poolStatus;
  private volatile KubernetesMetrics metrics = KubernetesMetrics.NOOP;

  /**
   * Builds the client from {@code config}; every non-GET request it sends is counted ({@link
   * #apiWrites()}, {@link KubernetesMetrics#apiWrite}).
   */
  public KubernetesBackend(Config config, Options options) {
    this.options = Objects.requireNonNull(options, "options");
    Interceptor counter =
        new Interceptor() {
          @Override
          public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
            if (!"GET".equals(request.method())) {
              String k = request.method() + " " + resourceOf(request.uri().getPath());
              writes.computeIfAbsent(k, x -> new LongAdder()).increment();
              metrics.apiWrite(k);
            }
          }
        };
    this.client =
        new KubernetesClientBuilder()
            .withConfig(config)
            .withHttpClientBuilderConsumer(
                b -> b.addOrReplaceInterceptor("agent-sandbox-write-counter", counter))
            .build();
    this.ownClient = this.client;
    this.provisioner =
        new Fabric8SandboxProvisioner(
            client, new Fabric8SandboxProvisioner.Options(options.namespace(), 4, 10_000));
    AgentInjection agent = new AgentInjection(options.agent());
    this.sandboxReconciler =
        new SandboxReconciler(
            client, SandboxReconciler.Options.defaults().inNamespace(options.namespace()), agent);
    this.agentLocator = new KubernetesAgentLocator(sandboxReconciler::cachedPod, agent.secrets());
    this.templateReconciler = new SandboxTemplateReconciler(client, options.namespace(), 2);
    this.status = new ClaimStatusWriter(client, options.clock());
    this.queues = new WriteQueues(options.ioThreads(), WRITE_THREADS);
    this.caches = new ClusterCaches(client, options.namespace());
    KubernetesMetrics reported =
        new KubernetesMetrics() {
          @Override
          public void apiWrite(String request) {
            metrics.apiWrite(request);
          }

          @Override
          public void binding(long queueNanos, long writeNanos) {
            metrics.binding(queueNanos, writeNanos);
          }
        };
    this.bindings =
        new Bindings(client, caches, status, queues, provisioner, options.labelDomains(), reported);
    this.controller =
        new ClaimController(
            caches,
            queues,
            status,
            bindings,
            new ColdStarts(client, status, options.labelDomains()),
            new ExpiryWrites(client, status),
            provisioner,
            options);
    bindings.setListener(controller);
    this.poolStatus = new PoolStatusWriter(client, status, queues);
  }

  /** Threads of the background write lane (adoptions, expiry, pool status). */
  static final int WRITE_THREADS = 8;

  /** {@code namespaces/<ns>/<resource>[/<name>/<sub>]} → {@code resource[/sub]}. */
  static String resourceOf(String path) {
    String[] p = path.split("/");
    for (int i = 0; i < p.length - 2; i++) {
      if (p[i].equals("namespaces")) {
        String res = p[i + 2];
        return i + 4 < p.length ? res + "/" + p[i + 4] : res;
      }
    }
    return path;
  }

  public KubernetesClient client() {
    return client;
  }

  public Fabric8SandboxProvisioner provisioner() {
    return provisioner;
  }

  /** Where writes and binding times are reported from now on (set before {@link #start}). */
  public void setMetrics(KubernetesMetrics m) {
    this.metrics = Objects.requireNonNull(m, "metrics");
  }

  /** Writes waiting for a claim-path ({@code bind}) or background ({@code write}) thread. */
  public int writeQueueDepth(String lane) {
    return "bind".equals(lane) ? queues.bindDepth() : queues.writeDepth();
  }

  /**
   * Where the in-sandbox agent of a sandbox's pod listens (pod IP from the informer cache, secret
   * derived from the agent key); null for pods without one. Never calls the API server.
   */
  public AgentLocator agentLocator() {
    return agentLocator;
  }

  /** Persist-before-reply on the API server: one write per binding ({@link Bindings}). */
  public BindingStore bindingStore() {
    return bindings;
  }

  /**
   * The controller's part of the bindings made since the last call (a bounded sample), sorted, in
   * ms: {@code [0]} the wait for a free k8s-bind thread, {@code [1]} the binding's one write (a
   * SandboxClaim's status, or an HTTP claim's SandboxClaim create). Any thread.
   */
  public long[][] drainBindTimesMs() {
    return bindings.drainTimesMs();
  }

  /** Non-GET requests this backend's client sent, by {@code METHOD resource[/sub]}. Any thread. */
  public Map<String, Long> apiWrites() {
    Map<String, Long> out = new TreeMap<>();
    writes.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /**
   * Starts informers and reconcilers, rebuilds pool members and bindings from the caches, declares
   * every pool (with its recovered sandboxes), then starts turning SandboxClaims into claims.
   * Blocks (bounded) until the informers have synced; call it once, off any event loop.
   */
  public void start(ClaimSubmitter submitter, PoolCatalogListener catalog) {
    Objects.requireNonNull(submitter, "submitter");
    Objects.requireNonNull(catalog, "catalog");
    provisioner.setPoolOwner(this::poolOwnerOf);
    provisioner.setTemplateLookup(caches::template);
    provisioner.setYield(() -> queues.bindDepth() > 0); // bindings before refill
    caches.templates.addEventHandler(handler(controller::onTemplate, t -> {}));
    caches.pools.addEventHandler(
        handler(controller::onPool, p -> controller.onPoolDeleted(p, catalog::remove)));
    caches.claims.addEventHandler(handler(controller::onClaim, controller::onClaimDeleted));
    caches.sandboxes.addEventHandler(handler(controller::onSandbox, controller::onSandboxDeleted));
    // HTTP claims answered from the binding journal but without a SandboxClaim yet: created
    // before the caches are read, so that recovery sees every answered claim
    int replayed = bindings.replayJournal(options.namespace());
    if (replayed > 0) LOG.info("binding journal: {} answered claim(s) replayed", replayed);
    CompletableFuture.allOf(
            caches.start(),
            provisioner.start(),
            sandboxReconciler.start(),
            templateReconciler.start())
        .orTimeout(120, TimeUnit.SECONDS)
        .join();
    int[] started;
    try {
      started =
          controller.start(
              submitter, new PoolDeclarations(caches, catalog, client, queues, controller::post));
    } catch (Exception e) {
      throw new IllegalStateException("claim controller did not start: " + e, e);
    }
    LOG.info(
        "kubernetes backend started: namespace {}, {} pool(s) declared, {} sandbox(es) re-adopted",
        options.namespace() == null ? "<all>" : options.namespace(),
        started[0],
        started[1]);
  }

  /** Informer handlers only post to the claim controller. */
  private static <T> ResourceEventHandler<T> handler(Consumer<T> upsert, Consumer<T> delete) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        upsert.accept(obj);
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        upsert.accept(newObj);
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        delete.accept(obj);
      }
    };
  }

  private OwnerReference poolOwnerOf(PoolKey key) {
    SandboxWarmPool p = caches.pool(key.namespace(), key.name());
    return p == null ? null : poolOwner(p);
  }

  /** Controller reference of a pool member to its pool. */
  static OwnerReference poolOwner(SandboxWarmPool pool) {
    return ControllerRefs.to(EXT_API_VERSION, "SandboxWarmPool", pool);
  }

  /** Controller reference of an adopted Sandbox to its claim. */
  static OwnerReference claimOwner(SandboxClaim claim) {
    return ControllerRefs.to(EXT_API_VERSION, "SandboxClaim", claim);
  }

  /**
   * Writes a pool's status (replicas, readyReplicas, selector, runtimeClassName) with a merge patch
   * when it changed since the last write. Any thread; returns at once (the write runs on the
   * background lane). The caller throttles (the scheduler calls it once a second per pool).
   */
  public void writePoolStatus(
      PoolKey key, int replicas, int readyReplicas, String runtimeClassName) {
    SandboxWarmPool p = caches.pool(key.namespace(), key.name());
    if (p != null) poolStatus.write(p, replicas, readyReplicas, runtimeClassName);
  }

  /**
   * Stops everything that reads or writes the cluster for this replica (claims, caches, refill,
   * reconcilers, the write lanes, each drained for a few seconds at most) but keeps the client
   * open, so that a leader can still release its Lease afterwards: a standby must never start while
   * this replica still writes. Idempotent; {@link #close} does it first.
   */
  public void quiesce() {
    if (quiesced) return;
    quiesced = true;
    controller.close();
    caches.close();
    provisioner.close();
    sandboxReconciler.close();
    templateReconciler.close();
    queues.close();
  }

  @Override
  public void close() {
    quiesce();
    try {
      ownClient.close();
    } catch (Exception e) {
      LOG.debug("closing the client: {}", e.toString());
    }
  }
}
