package io.agentsandbox.k8s.backend;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentsandbox.core.internal.DaemonThreads;
import io.agentsandbox.core.model.BindingRecord;
import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.ClaimRequest;
import io.agentsandbox.core.model.ClaimTicket;
import io.agentsandbox.core.model.LaunchType;
import io.agentsandbox.core.model.OnEmpty;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.model.RecoveredSandbox;
import io.agentsandbox.core.model.RejectReason;
import io.agentsandbox.core.port.AgentLocator;
import io.agentsandbox.core.port.BindingStore;
import io.agentsandbox.core.port.ClaimSubmitter;
import io.agentsandbox.core.port.PoolCatalogListener;
import io.agentsandbox.core.port.ProvisionListener;
import io.agentsandbox.k8s.agent.AgentInjection;
import io.agentsandbox.k8s.agent.KubernetesAgentLocator;
import io.agentsandbox.k8s.crd.AgentSandboxAnnotations;
import io.agentsandbox.k8s.crd.ClaimShutdownPolicy;
import io.agentsandbox.k8s.crd.LocalObjectRef;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.crd.SandboxClaimSpec;
import io.agentsandbox.k8s.crd.SandboxConditions;
import io.agentsandbox.k8s.crd.SandboxTemplate;
import io.agentsandbox.k8s.crd.SandboxWarmPool;
import io.agentsandbox.k8s.crd.UpdateStrategyType;
import io.agentsandbox.k8s.crd.UpstreamKeys;
import io.agentsandbox.k8s.provision.Fabric8SandboxProvisioner;
import io.agentsandbox.k8s.provision.TemplateSandboxes;
import io.agentsandbox.k8s.reconcile.ControllerRefs;
import io.agentsandbox.k8s.reconcile.SandboxReconciler;
import io.agentsandbox.k8s.reconcile.SandboxTemplateReconciler;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kubernetes backend: owns the fabric8 client, the in-process Sandbox and SandboxTemplate
 * reconcilers, the {@link Fabric8SandboxProvisioner} (pool members), informers on {@code
 * SandboxTemplate}, {@code SandboxWarmPool}, {@code Sandbox} and {@code SandboxClaim}, and the
 * {@link BindingStore} that makes a binding durable on the API server.
 *
 * <p>Threads: informer handlers are thin (map and post to the engine through {@link ClaimSubmitter}
 * / {@link PoolCatalogListener}; they never mutate cache objects); every API write runs on the
 * bounded {@code k8s-bind-<n>} pool; nothing here runs on, or blocks, a shard's event loop. {@link
 * #start} blocks its caller (start-up only). Thread-safe.
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
  static final String K8S_CLAIM_PREFIX = "sc:";
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
      return new Options(
          null, 32, 10_000, 300_000); // blocking API writes overlap: 2 per warm claim
    }
  }

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
  private final ThreadPoolExecutor io;
  private final ObjectMapper json = new ObjectMapper();
  private final Map<String, LongAdder> writes = new ConcurrentHashMap<>();
  private final Store store = new Store();

  /** Claims (ns/name) handed to the engine and not answered yet. */
  private final Map<String, Boolean> inFlight = new ConcurrentHashMap<>();

  /** UIDs of claims that own a sandbox (never bound again). */
  private final Map<String, Boolean> bound = new ConcurrentHashMap<>();

  /** HTTP claim id → namespace of its SandboxClaim. */
  private final Map<String, String> httpClaims = new ConcurrentHashMap<>();

  private final Map<PoolKey, String> lastPoolStatus = new ConcurrentHashMap<>();

  /**
   * UIDs of claims whose {@code spec.lifecycle} expired them (never bound again, Ready not
   * forwarded).
   */
  private final Map<String, Boolean> expired = new ConcurrentHashMap<>();

  /** Stale pool members (ns/name) whose delete a Recreate rollout sent. */
  private final Map<String, Boolean> staleDeletes = new ConcurrentHashMap<>();

  private final ClaimStatusWriter status;

  /**
   * Per binding (bounded sample, for the figures): wait for a k8s-bind thread, then the binding's
   * writes.
   */
  private final java.util.concurrent.ConcurrentLinkedQueue<Long> bindQueueNs =
      new java.util.concurrent.ConcurrentLinkedQueue<>();

  private final java.util.concurrent.ConcurrentLinkedQueue<Long> bindWritesNs =
      new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final AtomicInteger bindSamples = new AtomicInteger();
  private final ClaimExpiry expiry;
  private final java.util.concurrent.ScheduledExecutorService expiryTimer;

  private volatile SharedIndexInformer<SandboxTemplate> templates;
  private volatile SharedIndexInformer<SandboxWarmPool> pools;
  private volatile SharedIndexInformer<Sandbox> sandboxes;
  private volatile SharedIndexInformer<SandboxClaim> claims;
  private volatile ClaimSubmitter submitter;
  private volatile PoolCatalogListener catalog;
  private volatile boolean poolsActive;
  private volatile boolean claimsActive;

  /**
   * Builds the client from {@code config}; every non-GET request it sends is counted ({@link
   * #apiWrites()}).
   */
  public KubernetesBackend(Config config, Options options) {
    this.options = Objects.requireNonNull(options, "options");
    Interceptor counter =
        new Interceptor() {
          @Override
          public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
            if (!"GET".equals(request.method())) {
              writes
                  .computeIfAbsent(
                      request.method() + " " + resourceOf(request.uri().getPath()),
                      k -> new LongAdder())
                  .increment();
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
    this.expiry = new ClaimExpiry(options.clock(), this::onExpiryDue);
    this.expiryTimer =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.named("k8s-claim-expiry"));
    this.io = DaemonThreads.fixedPool(options.ioThreads(), 100_000, "k8s-bind-");
  }

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

  /**
   * Where the in-sandbox agent of a sandbox's pod listens (pod IP from the informer cache, secret
   * derived from the agent key); null for pods without one. Never calls the API server.
   */
  public AgentLocator agentLocator() {
    return agentLocator;
  }

  /**
   * Persist-before-reply on the API server: adoption patch (+ SandboxClaim create for HTTP claims)
   * + claim status.
   */
  public BindingStore bindingStore() {
    return store;
  }

  /**
   * The controller's part of the bindings made since the last call (a bounded sample), sorted, in
   * ms: {@code [0]} the wait for a free k8s-bind thread, {@code [1]} the binding's own writes (HTTP
   * claims: SandboxClaim create; then adoption patch + claim status). Any thread.
   */
  public long[][] drainBindTimesMs() {
    long[][] out = {drain(bindQueueNs), drain(bindWritesNs)};
    bindSamples.set(0);
    return out;
  }

  private static long[] drain(java.util.Queue<Long> q) {
    List<Long> out = new ArrayList<>();
    Long v;
    while ((v = q.poll()) != null) out.add(TimeUnit.NANOSECONDS.toMillis(v));
    return out.stream().mapToLong(Long::longValue).sorted().toArray();
  }

  /** Non-GET requests this backend's client sent, by {@code METHOD resource[/sub]}. Any thread. */
  public Map<String, Long> apiWrites() {
    Map<String, Long> out = new TreeMap<>();
    writes.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  // ------------------------------------------------------------------ start-up

  /**
   * Starts informers and reconcilers, rebuilds pool members and bindings from the caches, declares
   * every pool (with its recovered sandboxes), then starts turning SandboxClaims into claims.
   * Blocks (bounded) until the informers have synced; call it once, off any event loop.
   */
  public void start(ClaimSubmitter submitter, PoolCatalogListener catalog) {
    this.submitter = Objects.requireNonNull(submitter, "submitter");
    this.catalog = Objects.requireNonNull(catalog, "catalog");
    provisioner.setPoolOwner(this::poolOwnerOf);
    provisioner.setTemplateLookup(
        (tns, tname) -> templates == null ? null : templates.getStore().getByKey(key(tns, tname)));
    String ns = options.namespace();
    var templateOp = client.resources(SandboxTemplate.class);
    templates =
        (ns == null ? templateOp.inAnyNamespace() : templateOp.inNamespace(ns))
            .runnableInformer(30_000);
    var poolOp = client.resources(SandboxWarmPool.class);
    pools =
        (ns == null ? poolOp.inAnyNamespace() : poolOp.inNamespace(ns)).runnableInformer(30_000);
    var sandboxOp = client.resources(Sandbox.class);
    sandboxes =
        (ns == null ? sandboxOp.inAnyNamespace() : sandboxOp.inNamespace(ns)).runnableInformer(0);
    var claimOp = client.resources(SandboxClaim.class);
    claims =
        (ns == null ? claimOp.inAnyNamespace() : claimOp.inNamespace(ns)).runnableInformer(5_000);
    templates.addEventHandler(
        handler(
            t -> {
              if (poolsActive) redeclareTemplate(t);
            },
            t -> {}));
    pools.addEventHandler(
        handler(
            p -> {
              if (!poolsActive) return;
              declare(p, List.of());
              rollout(p);
              retryWaitingClaims(p.getMetadata().getNamespace(), p.getMetadata().getName());
            },
            p -> {
              if (poolsActive) catalog.remove(keyOf(p));
            }));
    claims.addEventHandler(handler(this::onClaim, this::onClaimDeleted));
    sandboxes.addEventHandler(
        handler(
            sb -> {
              if (claimsActive) forwardReady(sb);
            },
            sb ->
                staleDeletes.remove(
                    key(sb.getMetadata().getNamespace(), sb.getMetadata().getName()))));
    CompletableFuture.allOf(
            templates.start().toCompletableFuture(),
            pools.start().toCompletableFuture(),
            sandboxes.start().toCompletableFuture(),
            claims.start().toCompletableFuture(),
            provisioner.start(),
            sandboxReconciler.start(),
            templateReconciler.start())
        .orTimeout(120, TimeUnit.SECONDS)
        .join();

    Map<PoolKey, List<RecoveredSandbox>> recovered = recover();
    int declared = 0;
    for (SandboxWarmPool p : pools.getStore().list()) {
      if (declare(p, recovered.getOrDefault(keyOf(p), List.of()))) declared++;
    }
    poolsActive = true;
    for (SandboxWarmPool p : pools.getStore().list())
      declare(p, List.of()); // events missed meanwhile; idempotent
    claimsActive = true;
    for (SandboxClaim c : claims.getStore().list()) onClaim(c);
    // Sandbox events before claimsActive were not forwarded (e.g. a member that became Ready while
    // its claim's status still said otherwise across a restart); forward now, idempotently.
    for (Sandbox sb : sandboxes.getStore().list()) forwardReady(sb);
    for (SandboxWarmPool p : pools.getStore().list()) rollout(p);
    expiryTimer.scheduleWithFixedDelay(
        () -> safely(x -> expiry.tick(), null), 100, 100, TimeUnit.MILLISECONDS);
    LOG.info(
        "kubernetes backend started: namespace {}, {} pool(s) declared, {} sandbox(es) re-adopted",
        options.namespace() == null ? "<all>" : options.namespace(),
        declared,
        recovered.values().stream().mapToInt(List::size).sum());
  }

  private static <T> ResourceEventHandler<T> handler(Consumer<T> upsert, Consumer<T> delete) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        safely(upsert, obj);
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        safely(upsert, newObj);
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        safely(delete, obj);
      }
    };
  }

  private static <T> void safely(Consumer<T> c, T obj) {
    try {
      c.accept(obj);
    } catch (RuntimeException e) {
      LOG.warn(
          "informer handler failed on {}: {}",
          obj instanceof HasMetadata m ? m.getMetadata().getName() : obj,
          e.toString(),
          e);
    }
  }

  private static PoolKey keyOf(SandboxWarmPool p) {
    return new PoolKey(p.getMetadata().getNamespace(), p.getMetadata().getName());
  }

  private static String key(String ns, String name) {
    return ns + "/" + name;
  }

  /** Informer thread: a pool (or its template) changed; maps it and posts it to the engine. */
  private boolean declare(SandboxWarmPool p, List<RecoveredSandbox> recovered) {
    if (p.getMetadata().getDeletionTimestamp() != null) return false;
    String ns = p.getMetadata().getNamespace();
    String tname =
        p.getSpec() == null || p.getSpec().getSandboxTemplateRef() == null
            ? null
            : p.getSpec().getSandboxTemplateRef().getName();
    SandboxTemplate t = tname == null ? null : templates.getStore().getByKey(key(ns, tname));
    if (t == null) {
      LOG.warn(
          "pool {}/{}: template {} not found; not declared yet",
          ns,
          p.getMetadata().getName(),
          tname);
      return false;
    }
    PoolSpec spec;
    try {
      spec = PoolSpecs.toSpec(p, t);
    } catch (IllegalArgumentException e) {
      LOG.warn("pool {}/{}: {}", ns, p.getMetadata().getName(), e.getMessage());
      return false;
    }
    catalog.declare(spec, recovered);
    return true;
  }

  private void redeclareTemplate(SandboxTemplate t) {
    for (SandboxWarmPool p : pools.getStore().list()) {
      if (p.getMetadata().getNamespace().equals(t.getMetadata().getNamespace())
          && p.getSpec() != null
          && p.getSpec().getSandboxTemplateRef() != null
          && t.getMetadata().getName().equals(p.getSpec().getSandboxTemplateRef().getName())) {
        declare(p, List.of());
        rollout(p);
        retryWaitingClaims(p.getMetadata().getNamespace(), p.getMetadata().getName());
      }
    }
  }

  /**
   * Informer thread: {@code updateStrategy: Recreate} deletes the pool's unclaimed members whose
   * blueprint hash (or template) is stale; {@code OnReplenish} (default) keeps them until claimed
   * or deleted, while new members are built from the current template. The delete carries the
   * member's resourceVersion, so a member adopted meanwhile is never touched; the provisioner tells
   * the engine the member is gone and the pool replaces it.
   */
  private void rollout(SandboxWarmPool p) {
    if (p.getSpec() == null
        || p.getSpec().getUpdateStrategy() == null
        || p.getSpec().getUpdateStrategy().getType() != UpdateStrategyType.Recreate) {
      return;
    }
    String ns = p.getMetadata().getNamespace();
    String tname =
        p.getSpec().getSandboxTemplateRef() == null
            ? null
            : p.getSpec().getSandboxTemplateRef().getName();
    SandboxTemplate t = tname == null ? null : templates.getStore().getByKey(key(ns, tname));
    if (t == null) return;
    String hash;
    try {
      hash = TemplateSandboxes.blueprintHash(t);
    } catch (IllegalArgumentException e) {
      return;
    }
    String refHash = UpstreamKeys.nameHash(tname);
    for (Sandbox s : sandboxes.getStore().list()) {
      OwnerReference ctl = ControllerRefs.of(s);
      if (ctl == null
          || !"SandboxWarmPool".equals(ctl.getKind())
          || !Objects.equals(ctl.getUid(), p.getMetadata().getUid())
          || s.getMetadata().getDeletionTimestamp() != null) {
        continue;
      }
      Map<String, String> l =
          s.getMetadata().getLabels() == null ? Map.of() : s.getMetadata().getLabels();
      if (hash.equals(l.get(UpstreamKeys.SANDBOX_TEMPLATE_HASH))
          && refHash.equals(l.get(UpstreamKeys.SANDBOX_TEMPLATE_REF_HASH))) continue;
      String name = s.getMetadata().getName();
      String rv = s.getMetadata().getResourceVersion();
      if (staleDeletes.putIfAbsent(key(ns, name), Boolean.TRUE) != null) continue;
      LOG.info(
          "pool {}/{}: Recreate: deleting stale member {}", ns, p.getMetadata().getName(), name);
      ioExecute(
          () -> {
            try {
              client
                  .resources(Sandbox.class)
                  .inNamespace(ns)
                  .withName(name)
                  .lockResourceVersion(rv)
                  .delete();
            } catch (KubernetesClientException e) {
              staleDeletes.remove(
                  key(ns, name)); // 409: changed (adopted?) meanwhile; the next event re-checks
              LOG.debug("stale member {}: not deleted: {}", name, e.getMessage());
            }
          });
    }
  }

  /**
   * Informer thread: claims of a pool that just appeared (or changed) that are not bound nor in
   * flight get another try.
   */
  private void retryWaitingClaims(String ns, String pool) {
    if (!claimsActive) return;
    for (SandboxClaim c : claims.getStore().list()) {
      if (ns.equals(c.getMetadata().getNamespace())
          && c.getSpec() != null
          && c.getSpec().getWarmPoolRef() != null
          && pool.equals(c.getSpec().getWarmPoolRef().getName())
          && !isBound(c)
          && !inFlight.containsKey(key(ns, c.getMetadata().getName()))) {
        onClaim(c);
      }
    }
  }

  /** Runs {@code r} on k8s-bind; drops it (logged) when that queue is full. */
  private void ioExecute(Runnable r) {
    try {
      io.execute(r);
    } catch (RejectedExecutionException e) {
      LOG.warn("k8s-bind queue full; a write was dropped (the next informer event retries)");
    }
  }

  private OwnerReference poolOwnerOf(PoolKey key) {
    SandboxWarmPool p =
        pools == null ? null : pools.getStore().getByKey(key(key.namespace(), key.name()));
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

  private static Condition readyCondition(Sandbox s) {
    if (s.getStatus() == null || s.getStatus().getConditions() == null) return null;
    for (Condition c : s.getStatus().getConditions())
      if (SandboxConditions.READY.equals(c.getType())) return c;
    return null;
  }

  private static boolean isReady(Sandbox s) {
    Condition c = readyCondition(s);
    return c != null
        && "True".equals(c.getStatus())
        && s.getStatus().getPodIPs() != null
        && !s.getStatus().getPodIPs().isEmpty();
  }

  private static List<String> ips(Sandbox s) {
    return s.getStatus() == null || s.getStatus().getPodIPs() == null
        ? List.of()
        : List.copyOf(s.getStatus().getPodIPs());
  }

  // ------------------------------------------------------------------ restart recovery

  /**
   * From the caches: Ready pool-owned Sandboxes → unbound members; claim-owned Sandboxes → bindings
   * (their claims are never bound again); pool-owned Sandboxes not Ready → deleted (the pool starts
   * fresh ones).
   */
  private Map<PoolKey, List<RecoveredSandbox>> recover() {
    Map<PoolKey, List<RecoveredSandbox>> out = new HashMap<>();
    for (Sandbox s : sandboxes.getStore().list()) {
      ObjectMeta m = s.getMetadata();
      if (m.getDeletionTimestamp() != null) continue;
      OwnerReference ctl = ControllerRefs.of(s);
      if (ctl == null) continue;
      String ns = m.getNamespace();
      if ("SandboxWarmPool".equals(ctl.getKind())) {
        PoolKey pool = new PoolKey(ns, ctl.getName());
        if (isReady(s)) {
          out.computeIfAbsent(pool, k -> new ArrayList<>())
              .add(new RecoveredSandbox(m.getName(), ips(s), null));
        } else {
          provisioner.delete(pool, m.getName(), ProvisionListener.NOOP);
        }
      } else if ("SandboxClaim".equals(ctl.getKind())) {
        SandboxClaim c = claims.getStore().getByKey(key(ns, ctl.getName()));
        bound.put(ctl.getUid(), Boolean.TRUE);
        if (c == null
            || !Objects.equals(c.getMetadata().getUid(), ctl.getUid())
            || c.getSpec() == null
            || c.getSpec().getWarmPoolRef() == null) {
          continue; // the claim is gone: garbage collection removes its sandbox
        }
        if (m.getName().equals(c.getMetadata().getName())
            && "cold"
                .equals(
                    m.getLabels() == null ? null : m.getLabels().get(UpstreamKeys.LAUNCH_TYPE))) {
          continue; // upstream's cold path (named after the claim): not the engine's
        }
        PoolKey pool = new PoolKey(ns, c.getSpec().getWarmPoolRef().getName());
        Map<String, String> ann = annotations(c);
        String claimId = claimIdOf(c);
        if (!claimId.startsWith(K8S_CLAIM_PREFIX)) httpClaims.put(claimId, ns);
        String tenant = ann.getOrDefault(AgentSandboxAnnotations.TENANT, "default");
        LaunchType lt =
            "cold"
                    .equals(
                        m.getLabels() == null ? null : m.getLabels().get(UpstreamKeys.LAUNCH_TYPE))
                ? LaunchType.COLD
                : LaunchType.WARM;
        long ttlMs = parseLong(ann.get(TTL_MS), 0);
        long expires = parseLong(ann.get(EXPIRES_AT_MS), 0);
        BindingRecord b =
            new BindingRecord(
                claimId, pool, m.getName(), tenant, 0, OnEmpty.WAIT, lt, ttlMs, expires);
        out.computeIfAbsent(pool, k -> new ArrayList<>())
            .add(new RecoveredSandbox(m.getName(), ips(s), b));
        if (!statusNamesSandbox(c)) {
          // The adoption was committed but the claim's status was not written before the restart
          // (it is written after the claim's answer).
          ioExecute(
              () ->
                  status.writeBound(c.getMetadata().getNamespace(), c.getMetadata().getName(), s));
        }
      }
    }
    return out;
  }

  private static long parseLong(String v, long dflt) {
    if (v == null) return dflt;
    try {
      return Math.max(0, Long.parseLong(v.trim()));
    } catch (NumberFormatException e) {
      return dflt;
    }
  }

  // ------------------------------------------------------------------ claims

  private static Map<String, String> annotations(HasMetadata o) {
    return o.getMetadata().getAnnotations() == null ? Map.of() : o.getMetadata().getAnnotations();
  }

  static String claimIdOf(SandboxClaim c) {
    String id = annotations(c).get(CLAIM_ID);
    return id != null
        ? id
        : K8S_CLAIM_PREFIX + c.getMetadata().getNamespace() + "/" + c.getMetadata().getName();
  }

  private static boolean statusNamesSandbox(SandboxClaim c) {
    return c.getStatus() != null
        && c.getStatus().getSandbox() != null
        && c.getStatus().getSandbox().getName() != null;
  }

  private static boolean isBound(SandboxClaim c) {
    return (c.getStatus() != null
            && c.getStatus().getSandbox() != null
            && c.getStatus().getSandbox().getName() != null)
        || annotations(c).containsKey(UpstreamKeys.SANDBOX_NAME);
  }

  private static boolean forcesCold(SandboxClaim c) {
    return c.getSpec() != null
        && ((c.getSpec().getEnv() != null && !c.getSpec().getEnv().isEmpty())
            || (c.getSpec().getVolumeClaimTemplates() != null
                && !c.getSpec().getVolumeClaimTemplates().isEmpty()));
  }

  /**
   * Informer thread: a new or changed claim. Expiry first ({@code spec.lifecycle}); then an unbound
   * claim is checked against the caches (pool, template, {@code additionalPodMetadata}) and becomes
   * a ticket for its pool's shard, or, when {@code env} / {@code volumeClaimTemplates} force a cold
   * start (upstream), a Sandbox named after it.
   */
  private void onClaim(SandboxClaim c) {
    if (!claimsActive || c.getMetadata().getDeletionTimestamp() != null) return;
    String ns = c.getMetadata().getNamespace();
    String k = key(ns, c.getMetadata().getName());
    String uid = c.getMetadata().getUid();
    if (expired.containsKey(uid) || ClaimStatusWriter.shows(c, REASON_CLAIM_EXPIRED)) return;
    java.time.Instant at;
    try {
      at = ClaimExpiry.expiryOf(c);
    } catch (IllegalArgumentException e) {
      ioExecute(() -> status.writeCondition(c, "InvalidLifecycle", e.getMessage()));
      return;
    }
    if (expiry.isDue(at)) {
      ioExecute(() -> expire(k));
      return;
    }
    expiry.schedule(k, at);
    if (isBound(c) || bound.containsKey(uid)) return;
    if (annotations(c).containsKey(CLAIM_ID))
      return; // made by the HTTP API: the engine binds it already
    if (inFlight.putIfAbsent(k, Boolean.TRUE) != null) return;
    String poolName =
        c.getSpec() == null || c.getSpec().getWarmPoolRef() == null
            ? null
            : c.getSpec().getWarmPoolRef().getName();
    SandboxWarmPool pool = poolName == null ? null : pools.getStore().getByKey(key(ns, poolName));
    if (pool == null) {
      notAdmitted(
          c,
          REASON_WARM_POOL_NOT_FOUND,
          poolName == null
              ? "spec.warmPoolRef.name is required"
              : "no SandboxWarmPool " + ns + "/" + poolName);
      return;
    }
    SandboxTemplate t = templateOf(pool);
    if (t == null) {
      notAdmitted(
          c,
          REASON_TEMPLATE_NOT_FOUND,
          "SandboxWarmPool "
              + ns
              + "/"
              + poolName
              + " names SandboxTemplate '"
              + (pool.getSpec() == null || pool.getSpec().getSandboxTemplateRef() == null
                  ? null
                  : pool.getSpec().getSandboxTemplateRef().getName())
              + "', which does not exist");
      return;
    }
    try {
      TemplateSandboxes.additionalPodMetadata(
          c, t, options.labelDomains(), new HashMap<>(), new HashMap<>());
    } catch (TemplateSandboxes.RejectedClaim e) {
      notAdmitted(c, e.reason(), e.getMessage());
      return;
    }
    if (forcesCold(c)) {
      ioExecute(() -> coldStart(c, t));
      return;
    }
    submit(c);
  }

  private SandboxTemplate templateOf(SandboxWarmPool pool) {
    if (pool == null || pool.getSpec() == null || pool.getSpec().getSandboxTemplateRef() == null)
      return null;
    return templates
        .getStore()
        .getByKey(
            key(
                pool.getMetadata().getNamespace(),
                pool.getSpec().getSandboxTemplateRef().getName()));
  }

  /**
   * Not in flight any more; Ready=False with {@code reason} (written on k8s-bind). The next resync
   * or pool event retries.
   */
  private void notAdmitted(SandboxClaim c, String reason, String message) {
    inFlight.remove(key(c.getMetadata().getNamespace(), c.getMetadata().getName()));
    if (ClaimStatusWriter.shows(c, reason)) return;
    LOG.info(
        "claim {}/{}: {}: {}",
        c.getMetadata().getNamespace(),
        c.getMetadata().getName(),
        reason,
        message);
    ioExecute(() -> status.writeCondition(c, reason, message));
  }

  private void submit(SandboxClaim c) {
    String ns = c.getMetadata().getNamespace();
    String k = key(ns, c.getMetadata().getName());
    ClaimRequest request;
    OnEmpty wanted;
    try {
      wanted = onEmptyOf(c);
      request = request(c, wanted);
    } catch (IllegalArgumentException e) {
      notAdmitted(c, "InvalidAnnotation", e.getMessage());
      return;
    }
    if (!submitter.submit(
        new K8sClaimTicket(
            request,
            ns,
            c.getMetadata().getName(),
            c.getMetadata().getUid(),
            annotations(c).get(AgentSandboxAnnotations.ON_EMPTY) == null ? null : wanted))) {
      inFlight.remove(k); // shard queue full: the next resync retries
    }
  }

  private static OnEmpty onEmptyOf(SandboxClaim c) {
    String oe = annotations(c).get(AgentSandboxAnnotations.ON_EMPTY);
    if (oe == null) return OnEmpty.WAIT;
    OnEmpty v = OnEmpty.fromWireName(oe);
    if (v == null)
      throw new IllegalArgumentException(
          AgentSandboxAnnotations.ON_EMPTY + " must be wait, cold or reject: '" + oe + "'");
    return v;
  }

  /**
   * The engine's request for a claim. {@code on-empty: cold} is sent as {@code reject}: an empty
   * pool answers at once and this backend starts upstream's cold Sandbox named after the claim.
   */
  private ClaimRequest request(SandboxClaim c, OnEmpty onEmpty) {
    Map<String, String> ann = annotations(c);
    String ns = c.getMetadata().getNamespace();
    long waitMs =
        ann.containsKey(AgentSandboxAnnotations.WAIT_MS)
            ? PoolSpecs.intAnnotation(ann, AgentSandboxAnnotations.WAIT_MS, 0)
            : options.defaultWaitMs();
    if (waitMs > options.maxWaitMs())
      throw new IllegalArgumentException(
          AgentSandboxAnnotations.WAIT_MS + " above " + options.maxWaitMs());
    int priority = 0;
    String pr = ann.get(AgentSandboxAnnotations.PRIORITY);
    if (pr != null) {
      try {
        priority = Integer.parseInt(pr.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            AgentSandboxAnnotations.PRIORITY + " must be an integer: '" + pr + "'");
      }
      if (priority < ClaimRequest.MIN_PRIORITY || priority > ClaimRequest.MAX_PRIORITY) {
        throw new IllegalArgumentException(
            AgentSandboxAnnotations.PRIORITY + " must be -1000..1000: " + priority);
      }
    }
    String tenant = ann.getOrDefault(AgentSandboxAnnotations.TENANT, "default");
    return new ClaimRequest(
        claimIdOf(c),
        new PoolKey(ns, c.getSpec().getWarmPoolRef().getName()),
        tenant,
        priority,
        onEmpty == OnEmpty.COLD ? OnEmpty.REJECT : onEmpty,
        TimeUnit.MILLISECONDS.toNanos(waitMs),
        0,
        System.nanoTime());
  }

  private void onClaimDeleted(SandboxClaim c) {
    String ns = c.getMetadata().getNamespace();
    inFlight.remove(key(ns, c.getMetadata().getName()));
    bound.remove(c.getMetadata().getUid());
    expired.remove(c.getMetadata().getUid());
    expiry.schedule(key(ns, c.getMetadata().getName()), null);
    if (c.getSpec() == null || c.getSpec().getWarmPoolRef() == null) return;
    String claimId = claimIdOf(c);
    httpClaims.remove(claimId);
    submitter.release(
        new PoolKey(ns, c.getSpec().getWarmPoolRef().getName()),
        claimId,
        annotations(c).getOrDefault(AgentSandboxAnnotations.TENANT, "default"));
  }

  /**
   * Upstream's cold path (k8s-bind thread): a Sandbox named after the claim, owned by it, built
   * from the template plus the claim's env / VCTs / pod metadata; then the claim's status names it
   * (2 writes; Ready is forwarded when the Sandbox becomes Ready).
   */
  private void coldStart(SandboxClaim c, SandboxTemplate t) {
    String ns = c.getMetadata().getNamespace();
    String name = c.getMetadata().getName();
    String uid = c.getMetadata().getUid();
    try {
      Sandbox want;
      try {
        want = TemplateSandboxes.coldForClaim(c, t, claimOwner(c), options.labelDomains());
      } catch (TemplateSandboxes.RejectedClaim e) {
        notAdmitted(c, e.reason(), e.getMessage());
        return;
      }
      if (bound.putIfAbsent(uid, Boolean.TRUE) != null) return;
      Sandbox sb;
      try {
        sb = client.resources(Sandbox.class).inNamespace(ns).resource(want).create();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) throw e;
        sb = client.resources(Sandbox.class).inNamespace(ns).withName(name).get();
        OwnerReference ctl = sb == null ? null : ControllerRefs.of(sb);
        if (ctl == null || !uid.equals(ctl.getUid())) {
          bound.remove(uid);
          notAdmitted(
              c,
              REASON_RECONCILER_ERROR,
              "a Sandbox named " + name + " exists and is not controlled by this claim");
          return;
        }
      }
      LOG.debug("claim {}/{}: cold Sandbox created", ns, name);
      status.writeBound(ns, name, sb);
      inFlight.remove(key(ns, name));
    } catch (KubernetesClientException e) {
      bound.remove(uid);
      notAdmitted(c, REASON_RECONCILER_ERROR, "cold start failed: " + e.getMessage());
    }
  }

  /**
   * Informer thread: a claim-owned Sandbox changed; when its Ready / Finished conditions (or
   * podIPs) differ from what its claim shows, the claim's status is rewritten (upstream forwards
   * Ready and mirrors Finished).
   */
  private void forwardReady(Sandbox sb) {
    OwnerReference ctl = ControllerRefs.of(sb);
    if (ctl == null || !"SandboxClaim".equals(ctl.getKind()) || expired.containsKey(ctl.getUid()))
      return;
    String ns = sb.getMetadata().getNamespace();
    SandboxClaim c = claims.getStore().getByKey(key(ns, ctl.getName()));
    if (c == null
        || !Objects.equals(c.getMetadata().getUid(), ctl.getUid())
        || c.getStatus() == null
        || c.getStatus().getSandbox() == null
        || !sb.getMetadata().getName().equals(c.getStatus().getSandbox().getName())
        || ClaimStatusWriter.shows(c, REASON_CLAIM_EXPIRED)) {
      return; // not bound yet: the binding writes the status
    }
    Condition sbReady = readyCondition(sb);
    Condition claimReady = ClaimStatusWriter.condition(c, SandboxConditions.READY);
    Condition sbFinished = ClaimStatusWriter.condition(sb, SandboxConditions.FINISHED);
    Condition claimFinished = ClaimStatusWriter.condition(c, SandboxConditions.FINISHED);
    List<String> haveIps =
        c.getStatus().getSandbox().getPodIPs() == null
            ? List.of()
            : c.getStatus().getSandbox().getPodIPs();
    if (Objects.equals(
            sbReady == null ? "Unknown" : sbReady.getStatus(),
            claimReady == null ? null : claimReady.getStatus())
        && Objects.equals(
            sbFinished == null ? null : sbFinished.getStatus(),
            claimFinished == null ? null : claimFinished.getStatus())
        && haveIps.equals(ips(sb))) {
      return;
    }
    ioExecute(
        () -> {
          try {
            status.writeBound(ns, c.getMetadata().getName(), sb);
          } catch (KubernetesClientException e) {
            LOG.debug(
                "claim {}: Ready not forwarded: {}", c.getMetadata().getName(), e.getMessage());
          }
        });
  }

  /** Timer thread: a claim's expiry is due; applied on k8s-bind. */
  private void onExpiryDue(String claimKey) {
    ioExecute(() -> expire(claimKey));
  }

  /**
   * k8s-bind thread: {@code spec.lifecycle} expired the claim. The engine's claim ends (a waiting
   * one is cancelled; a bound one's sandbox is deleted); then {@code Delete} deletes the claim
   * (garbage collection takes the Sandbox), {@code DeleteForeground} does so with foreground
   * propagation, {@code Retain} (default) deletes the Sandbox and keeps the claim with
   * Ready=False/{@code ClaimExpired}.
   */
  private void expire(String claimKey) {
    SandboxClaim c = claims.getStore().getByKey(claimKey);
    if (c == null || c.getMetadata().getDeletionTimestamp() != null) return;
    java.time.Instant at;
    try {
      at = ClaimExpiry.expiryOf(c);
    } catch (IllegalArgumentException e) {
      return;
    }
    if (!expiry.isDue(at)) {
      expiry.schedule(claimKey, at); // moved meanwhile
      return;
    }
    String ns = c.getMetadata().getNamespace();
    String name = c.getMetadata().getName();
    if (expired.put(c.getMetadata().getUid(), Boolean.TRUE) == null) {
      ClaimShutdownPolicy policy =
          c.getSpec().getLifecycle().getShutdownPolicy() == null
              ? ClaimShutdownPolicy.Retain
              : c.getSpec().getLifecycle().getShutdownPolicy();
      LOG.info("claim {}: expired ({}; policy {})", claimKey, at, policy);
      if (c.getSpec().getWarmPoolRef() != null) {
        submitter.release(
            new PoolKey(ns, c.getSpec().getWarmPoolRef().getName()),
            claimIdOf(c),
            annotations(c).getOrDefault(AgentSandboxAnnotations.TENANT, "default"));
      }
      try {
        switch (policy) {
          case Delete ->
              client
                  .resources(SandboxClaim.class)
                  .inNamespace(ns)
                  .withName(name)
                  .withPropagationPolicy(DeletionPropagation.BACKGROUND)
                  .delete();
          case DeleteForeground ->
              client
                  .resources(SandboxClaim.class)
                  .inNamespace(ns)
                  .withName(name)
                  .withPropagationPolicy(DeletionPropagation.FOREGROUND)
                  .delete();
          case Retain -> {
            String sbName =
                c.getStatus() == null || c.getStatus().getSandbox() == null
                    ? null
                    : c.getStatus().getSandbox().getName();
            Sandbox sb = sbName == null ? null : sandboxes.getStore().getByKey(key(ns, sbName));
            OwnerReference ctl = sb == null ? null : ControllerRefs.of(sb);
            if (ctl != null && c.getMetadata().getUid().equals(ctl.getUid())) {
              client.resources(Sandbox.class).inNamespace(ns).withName(sbName).delete();
            }
            status.writeCondition(
                c, REASON_CLAIM_EXPIRED, "spec.lifecycle expired the claim at " + at);
          }
        }
      } catch (KubernetesClientException e) {
        expired.remove(c.getMetadata().getUid()); // retried at the next resync
        LOG.warn("claim {}: expiry not applied: {}", claimKey, e.getMessage());
      }
    }
  }

  /**
   * A SandboxClaim's claim in the engine. Completed on a shard's loop; the outcome hops to
   * k8s-bind.
   */
  private final class K8sClaimTicket extends ClaimTicket {
    private final String namespace;
    private final String name;
    private final String uid;

    /** The claim's {@code on-empty} annotation, null when absent. */
    private final OnEmpty asked;

    K8sClaimTicket(ClaimRequest request, String namespace, String name, String uid, OnEmpty asked) {
      super(request);
      this.namespace = namespace;
      this.name = name;
      this.uid = uid;
      this.asked = asked;
    }

    @Override
    protected void onComplete(ClaimOutcome outcome) {
      try {
        io.execute(() -> completed(this, outcome));
      } catch (RejectedExecutionException e) {
        inFlight.remove(key(namespace, name));
      }
    }
  }

  /**
   * k8s-bind thread: the engine answered a SandboxClaim's claim. An empty pool under {@code
   * on-empty: cold}, or a default wait that ran out, goes to upstream's cold path; an explicit
   * {@code wait} waits another round; other rejections become the claim's reason.
   */
  private void completed(K8sClaimTicket t, ClaimOutcome outcome) {
    String k = key(t.namespace, t.name);
    SandboxClaim current = claims.getStore().getByKey(k);
    boolean alive =
        current != null
            && Objects.equals(current.getMetadata().getUid(), t.uid)
            && current.getMetadata().getDeletionTimestamp() == null
            && !expired.containsKey(t.uid);
    if (outcome instanceof ClaimOutcome.Assigned || !alive) {
      inFlight.remove(k);
      return;
    }
    ClaimOutcome.Rejected r = (ClaimOutcome.Rejected) outcome;
    if (r.reason() == RejectReason.OVERLOADED) {
      inFlight.remove(
          k); // the pool's waiting room is full: like a full shard queue, the next resync (5 s)
      // retries
      return;
    }
    boolean cold =
        (r.reason() == RejectReason.POOL_EMPTY && t.asked == OnEmpty.COLD)
            || (r.reason() == RejectReason.DEADLINE && t.asked == null);
    if (cold) {
      SandboxTemplate tpl =
          templateOf(
              pools
                  .getStore()
                  .getByKey(key(t.namespace, current.getSpec().getWarmPoolRef().getName())));
      if (tpl != null) {
        coldStart(current, tpl);
        return;
      }
    }
    if (r.reason() == RejectReason.DEADLINE) {
      submit(current); // an explicit wait: another round (still in flight)
      return;
    }
    if (r.reason() == RejectReason.BINDING_NOT_DURABLE) {
      bound.remove(t.uid); // the engine deleted the sandbox; the next resync binds the claim again
      inFlight.remove(k);
      return;
    }
    String reason =
        switch (r.reason()) {
          case UNKNOWN_POOL ->
              templateOf(
                              pools
                                  .getStore()
                                  .getByKey(
                                      key(
                                          t.namespace,
                                          current.getSpec().getWarmPoolRef().getName())))
                          == null
                      && pools
                              .getStore()
                              .getByKey(
                                  key(t.namespace, current.getSpec().getWarmPoolRef().getName()))
                          != null
                  ? REASON_TEMPLATE_NOT_FOUND
                  : REASON_WARM_POOL_NOT_FOUND;
          default -> "ClaimRejected";
        };
    if (!ClaimStatusWriter.shows(current, reason))
      LOG.info("claim {}: not bound: {} ({})", k, r.reason().code(), r.message());
    if (!bound.containsKey(t.uid)) {
      // Still in flight while the condition is written, so a retry cannot bind it in between.
      status.writeCondition(current, reason, r.reason().code() + ": " + r.message());
    }
    inFlight.remove(k);
  }

  // ------------------------------------------------------------------ binding store

  /**
   * Makes a binding durable: (HTTP claims: create the SandboxClaim) → adoption patch; answers; then
   * writes the claim's status. The adoption is the durable binding (recovery rebuilds bindings from
   * adopted Sandboxes and writes a missing claim status itself), so the status write need not delay
   * the answer.
   */
  private final class Store implements BindingStore {
    @Override
    public void persist(BindingRecord binding, Consumer<Throwable> done) {
      long queued = System.nanoTime();
      try {
        io.execute(
            () -> {
              Runnable status = null;
              Throwable failure = null;
              long started = System.nanoTime();
              try {
                status = bind(binding);
              } catch (RuntimeException e) {
                failure = e;
              }
              if (failure == null && bindSamples.incrementAndGet() <= 100_000) {
                bindQueueNs.add(started - queued);
                bindWritesNs.add(System.nanoTime() - started);
              }
              done.accept(failure);
              for (int attempt = 1; status != null; attempt++) {
                try {
                  status.run();
                  status = null;
                } catch (KubernetesClientException e) {
                  if (e.getCode() == 404) {
                    status = null; // released (and deleted) meanwhile
                  } else if (attempt == 3) {
                    // forwardReady skips a claim whose status names no sandbox; a restart's
                    // recovery writes it
                    LOG.warn(
                        "claim {}: bound, but its status was not written: {}",
                        binding.claimId(),
                        e.getMessage());
                    status = null;
                  }
                }
              }
            });
      } catch (RejectedExecutionException e) {
        done.accept(e);
      }
    }

    @Override
    public void remove(String claimId) {
      String ns = httpClaims.remove(claimId);
      if (ns == null) return;
      try {
        io.execute(
            () -> {
              try {
                client.resources(SandboxClaim.class).inNamespace(ns).withName(claimId).delete();
              } catch (KubernetesClientException e) {
                LOG.debug("claim {}: delete failed: {}", claimId, e.getMessage());
              }
            });
      } catch (RejectedExecutionException e) {
        LOG.warn("claim {}: k8s-bind queue full; SandboxClaim not deleted", claimId);
      }
    }
  }

  /**
   * Creates (HTTP claims) and adopts; returns the claim-status write still to do. k8s-bind thread.
   */
  private Runnable bind(BindingRecord b) {
    String ns = b.pool().namespace();
    SandboxClaim c;
    if (b.claimId().startsWith(K8S_CLAIM_PREFIX)) {
      String claimName = b.claimId().substring(b.claimId().indexOf('/') + 1);
      c = claims.getStore().getByKey(key(ns, claimName));
      if (c == null)
        c = client.resources(SandboxClaim.class).inNamespace(ns).withName(claimName).get();
      if (c == null || c.getMetadata().getDeletionTimestamp() != null)
        throw new IllegalStateException("claim " + claimName + " is gone");
    } else {
      c = createHttpClaim(b);
      httpClaims.put(b.claimId(), ns);
    }
    bound.put(c.getMetadata().getUid(), Boolean.TRUE);
    Sandbox adopted = adopt(ns, b.sandboxName(), c, b.launchType());
    String claimName = c.getMetadata().getName();
    return () -> status.writeBound(ns, claimName, adopted);
  }

  private SandboxClaim createHttpClaim(BindingRecord b) {
    SandboxClaim c = new SandboxClaim();
    ObjectMeta m = new ObjectMeta();
    m.setName(b.claimId());
    m.setNamespace(b.pool().namespace());
    Map<String, String> ann = new LinkedHashMap<>();
    ann.put(CLAIM_ID, b.claimId());
    ann.put(AgentSandboxAnnotations.TENANT, b.tenant());
    ann.put(UpstreamKeys.SANDBOX_NAME, b.sandboxName());
    if (b.ttlMs() > 0) ann.put(TTL_MS, Long.toString(b.ttlMs()));
    if (b.expiresAtEpochMs() > 0) ann.put(EXPIRES_AT_MS, Long.toString(b.expiresAtEpochMs()));
    m.setAnnotations(ann);
    m.setLabels(Map.of(UpstreamKeys.CREATED_BY, "controller"));
    c.setMetadata(m);
    SandboxClaimSpec spec = new SandboxClaimSpec();
    spec.setWarmPoolRef(new LocalObjectRef(b.pool().name()));
    c.setSpec(spec);
    try {
      return client
          .resources(SandboxClaim.class)
          .inNamespace(b.pool().namespace())
          .resource(c)
          .create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) throw e;
      SandboxClaim existing =
          client
              .resources(SandboxClaim.class)
              .inNamespace(b.pool().namespace())
              .withName(b.claimId())
              .get();
      if (existing == null || !b.claimId().equals(annotations(existing).get(CLAIM_ID))) throw e;
      return existing;
    }
  }

  /**
   * Moves a pool member to the claim: ownerRefs replaced by the claim (controller), pool and
   * template-hash labels removed, {@code launch-type} and {@code claim-uid} set, {@code pod-name}
   * annotated, safe-to-evict stripped; optimistic concurrency on {@code resourceVersion}, 3
   * attempts.
   */
  private Sandbox adopt(String ns, String sandboxName, SandboxClaim claim, LaunchType launchType) {
    String claimUid = claim.getMetadata().getUid();
    var res = client.resources(Sandbox.class).inNamespace(ns).withName(sandboxName);
    Sandbox s = sandboxes.getStore().getByKey(key(ns, sandboxName));
    KubernetesClientException last = null;
    for (int attempt = 0; attempt < 4; attempt++) {
      if (s == null || attempt > 0) s = res.get();
      if (s == null || s.getMetadata().getDeletionTimestamp() != null)
        throw new IllegalStateException("sandbox " + sandboxName + " is gone");
      OwnerReference ctl = ControllerRefs.of(s);
      if (ctl != null && "SandboxClaim".equals(ctl.getKind())) {
        if (claimUid.equals(ctl.getUid())) return s; // already ours (a retried write went through)
        throw new IllegalStateException(
            "sandbox " + sandboxName + " is already owned by claim " + ctl.getName());
      }
      Map<String, Object> labels = new LinkedHashMap<>();
      labels.put(UpstreamKeys.WARM_POOL_SANDBOX, null);
      labels.put(UpstreamKeys.SANDBOX_TEMPLATE_HASH, null);
      labels.put(UpstreamKeys.SANDBOX_POD_TEMPLATE_HASH, null);
      labels.put(UpstreamKeys.LAUNCH_TYPE, launchType == LaunchType.COLD ? "cold" : "warm");
      labels.put(UpstreamKeys.CLAIM_UID, claimUid);
      Map<?, ?> owner = json.convertValue(claimOwner(claim), Map.class);
      Map<String, Object> meta = new LinkedHashMap<>();
      meta.put("resourceVersion", s.getMetadata().getResourceVersion());
      meta.put("ownerReferences", List.of(owner));
      meta.put("labels", labels);
      meta.put("annotations", Map.of(UpstreamKeys.POD_NAME, sandboxName));
      Map<String, Object> podAnn = new LinkedHashMap<>();
      podAnn.put(UpstreamKeys.SAFE_TO_EVICT, null);
      Map<String, Object> podLabels = new LinkedHashMap<>();
      podLabels.put(UpstreamKeys.CLAIM_UID, claimUid);
      Map<String, String> extraLabels = new LinkedHashMap<>();
      Map<String, String> extraAnnotations = new LinkedHashMap<>();
      SandboxTemplate t =
          templates
              .getStore()
              .getByKey(
                  key(ns, String.valueOf(annotations(s).get(UpstreamKeys.SANDBOX_TEMPLATE_REF))));
      TemplateSandboxes.additionalPodMetadata(
          claim, t, options.labelDomains(), extraLabels, extraAnnotations);
      podLabels.putAll(extraLabels);
      podAnn.putAll(extraAnnotations);
      Map<String, Object> podMeta = new LinkedHashMap<>();
      podMeta.put("labels", podLabels);
      podMeta.put("annotations", podAnn);
      Map<String, Object> patch =
          Map.of("metadata", meta, "spec", Map.of("podTemplate", Map.of("metadata", podMeta)));
      provisioner.forget(
          ns, sandboxName); // it leaves the provisioner's pool-label view: not a deletion
      try {
        return res.patch(PatchContext.of(PatchType.JSON_MERGE), status.toJson(patch));
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) throw e;
        last = e; // the reconciler wrote its status meanwhile: re-read and retry
      }
    }
    throw last;
  }

  // ------------------------------------------------------------------ pool status

  /**
   * Writes a pool's status (replicas, readyReplicas, selector, runtimeClassName) with a merge patch
   * when it changed since the last write. Any thread; returns at once (the write runs on k8s-bind).
   * The caller throttles (the scheduler calls it once a second per pool).
   */
  public void writePoolStatus(
      PoolKey key, int replicas, int readyReplicas, String runtimeClassName) {
    SandboxWarmPool p =
        pools == null ? null : pools.getStore().getByKey(key(key.namespace(), key.name()));
    if (p == null) return;
    Map<String, Object> st = new LinkedHashMap<>();
    st.put("replicas", replicas);
    st.put("readyReplicas", readyReplicas);
    st.put("selector", UpstreamKeys.WARM_POOL_SANDBOX + "=" + UpstreamKeys.nameHash(key.name()));
    if (runtimeClassName != null && !runtimeClassName.isEmpty())
      st.put("runtimeClassName", runtimeClassName);
    if (p.getMetadata().getGeneration() != null)
      st.put("observedGeneration", p.getMetadata().getGeneration());
    String body = status.toJson(Map.of("status", st));
    if (body.equals(lastPoolStatus.put(key, body))) return;
    try {
      io.execute(
          () -> {
            try {
              client
                  .resources(SandboxWarmPool.class)
                  .inNamespace(key.namespace())
                  .withName(key.name())
                  .subresource("status")
                  .patch(PatchContext.of(PatchType.JSON_MERGE), body);
            } catch (KubernetesClientException e) {
              lastPoolStatus.remove(key, body);
              LOG.debug("pool {}: status write failed: {}", key, e.getMessage());
            }
          });
    } catch (RejectedExecutionException e) {
      lastPoolStatus.remove(key, body);
    }
  }

  @Override
  public void close() {
    claimsActive = false;
    poolsActive = false;
    expiryTimer.shutdownNow();
    for (SharedIndexInformer<?> i :
        new SharedIndexInformer<?>[] {claims, pools, templates, sandboxes}) {
      if (i != null) i.close();
    }
    provisioner.close();
    sandboxReconciler.close();
    templateReconciler.close();
    DaemonThreads.shutdown(io, 5_000);
    try {
      ownClient.close();
    } catch (Exception e) {
      LOG.debug("closing the client: {}", e.toString());
    }
  }
}
