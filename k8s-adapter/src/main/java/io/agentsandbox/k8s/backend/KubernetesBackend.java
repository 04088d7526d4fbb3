package io.agentsandbox.k8s.backend;

import com.fasterxml.jackson.databind.ObjectMapper;
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
import io.agentsandbox.core.port.BindingStore;
import io.agentsandbox.core.port.ClaimSubmitter;
import io.agentsandbox.core.port.PoolCatalogListener;
import io.agentsandbox.k8s.crd.AgentSandboxAnnotations;
import io.agentsandbox.k8s.crd.LocalObjectRef;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.crd.SandboxClaimSpec;
import io.agentsandbox.k8s.crd.SandboxConditions;
import io.agentsandbox.k8s.crd.SandboxTemplate;
import io.agentsandbox.k8s.crd.SandboxWarmPool;
import io.agentsandbox.k8s.crd.UpstreamKeys;
import io.agentsandbox.k8s.provision.Fabric8SandboxProvisioner;
import io.agentsandbox.k8s.reconcile.SandboxReconciler;
import io.agentsandbox.k8s.reconcile.SandboxTemplateReconciler;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
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
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
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
 * reconcilers, the {@link Fabric8SandboxProvisioner} (pool members), informers on
 * {@code SandboxTemplate}, {@code SandboxWarmPool}, {@code Sandbox} and {@code SandboxClaim}, and
 * the {@link BindingStore} that makes a binding durable on the API server.
 *
 * <p>Threads: informer handlers are thin (map and post to the engine through {@link ClaimSubmitter}
 * / {@link PoolCatalogListener}; they never mutate cache objects); every API write runs on the
 * bounded {@code k8s-bind-<n>} pool; nothing here runs on, or blocks, a shard's event loop.
 * {@link #start} blocks its caller (start-up only). Thread-safe.
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
  static final String K8S_CLAIM_PREFIX = "sc:";
  private static final String EXT_API_VERSION = SandboxClaim.GROUP + "/" + SandboxClaim.VERSION;

  /**
   * Settings.
   *
   * @param namespace namespace to watch, null for all
   * @param ioThreads API-write threads
   * @param defaultWaitMs wait of a SandboxClaim without {@code agentsandbox.io/wait-ms}
   * @param maxWaitMs largest wait
   */
  public record Options(String namespace, int ioThreads, long defaultWaitMs, long maxWaitMs) {
    public Options {
      if (ioThreads < 1) throw new IllegalArgumentException("ioThreads must be >= 1");
    }

    public static Options defaults() {
      return new Options(null, 8, 10_000, 300_000);
    }
  }

  private final KubernetesClient client;
  /** The same client, closed last (kept apart so RBAC derivation sees only API calls on {@code client}). */
  private final AutoCloseable ownClient;
  private final Options options;
  private final Fabric8SandboxProvisioner provisioner;
  private final SandboxReconciler sandboxReconciler;
  private final SandboxTemplateReconciler templateReconciler;
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

  private volatile SharedIndexInformer<SandboxTemplate> templates;
  private volatile SharedIndexInformer<SandboxWarmPool> pools;
  private volatile SharedIndexInformer<Sandbox> sandboxes;
  private volatile SharedIndexInformer<SandboxClaim> claims;
  private volatile ClaimSubmitter submitter;
  private volatile PoolCatalogListener catalog;
  private volatile boolean poolsActive;
  private volatile boolean claimsActive;

  /** Builds the client from {@code config}; every non-GET request it sends is counted ({@link #apiWrites()}). */
  public KubernetesBackend(Config config, Options options) {
    this.options = Objects.requireNonNull(options, "options");
    Interceptor counter = new Interceptor() {
      @Override
      public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
        if (!"GET".equals(request.method())) {
          writes.computeIfAbsent(request.method() + " " + resourceOf(request.uri().getPath()), k -> new LongAdder()).increment();
        }
      }
    };
    this.client = new KubernetesClientBuilder().withConfig(config)
        .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("agent-sandbox-write-counter", counter)).build();
    this.ownClient = this.client;
    this.provisioner = new Fabric8SandboxProvisioner(client, new Fabric8SandboxProvisioner.Options(options.namespace(), 4, 10_000));
    this.sandboxReconciler = new SandboxReconciler(client, SandboxReconciler.Options.defaults().inNamespace(options.namespace()));
    this.templateReconciler = new SandboxTemplateReconciler(client, options.namespace(), 2);
    AtomicInteger n = new AtomicInteger();
    this.io = new ThreadPoolExecutor(options.ioThreads(), options.ioThreads(), 60, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(100_000), r -> {
          Thread t = new Thread(r, "k8s-bind-" + n.getAndIncrement());
          t.setDaemon(true);
          return t;
        });
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

  /** Persist-before-reply on the API server: adoption patch (+ SandboxClaim create for HTTP claims) + claim status. */
  public BindingStore bindingStore() {
    return store;
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
    String ns = options.namespace();
    var templateOp = client.resources(SandboxTemplate.class);
    templates = (ns == null ? templateOp.inAnyNamespace() : templateOp.inNamespace(ns)).runnableInformer(30_000);
    var poolOp = client.resources(SandboxWarmPool.class);
    pools = (ns == null ? poolOp.inAnyNamespace() : poolOp.inNamespace(ns)).runnableInformer(30_000);
    var sandboxOp = client.resources(Sandbox.class);
    sandboxes = (ns == null ? sandboxOp.inAnyNamespace() : sandboxOp.inNamespace(ns)).runnableInformer(0);
    var claimOp = client.resources(SandboxClaim.class);
    claims = (ns == null ? claimOp.inAnyNamespace() : claimOp.inNamespace(ns)).runnableInformer(5_000);
    templates.addEventHandler(handler(t -> { if (poolsActive) redeclareTemplate(t); }, t -> {}));
    pools.addEventHandler(handler(p -> { if (poolsActive) declare(p, List.of()); },
        p -> { if (poolsActive) catalog.remove(keyOf(p)); }));
    claims.addEventHandler(handler(this::onClaim, this::onClaimDeleted));
    sandboxes.addEventHandler(handler(sb -> { if (claimsActive) forwardReady(sb); }, sb -> {}));
    CompletableFuture.allOf(
            templates.start().toCompletableFuture(), pools.start().toCompletableFuture(),
            sandboxes.start().toCompletableFuture(), claims.start().toCompletableFuture(),
            provisioner.start(), sandboxReconciler.start(), templateReconciler.start())
        .orTimeout(120, TimeUnit.SECONDS).join();

    Map<PoolKey, List<RecoveredSandbox>> recovered = recover();
    int declared = 0;
    for (SandboxWarmPool p : pools.getStore().list()) {
      if (declare(p, recovered.getOrDefault(keyOf(p), List.of()))) declared++;
    }
    poolsActive = true;
    for (SandboxWarmPool p : pools.getStore().list()) declare(p, List.of()); // events missed meanwhile; idempotent
    claimsActive = true;
    for (SandboxClaim c : claims.getStore().list()) onClaim(c);
    // Sandbox events before claimsActive were not forwarded (e.g. a member that became Ready while
    // its claim's status still said otherwise across a restart); forward now, idempotently.
    for (Sandbox sb : sandboxes.getStore().list()) forwardReady(sb);
    LOG.info("kubernetes backend started: namespace {}, {} pool(s) declared, {} sandbox(es) re-adopted",
        options.namespace() == null ? "<all>" : options.namespace(), declared,
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
      LOG.warn("informer handler failed on {}: {}", obj instanceof HasMetadata m ? m.getMetadata().getName() : obj, e.toString(), e);
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
    String tname = p.getSpec() == null || p.getSpec().getSandboxTemplateRef() == null ? null : p.getSpec().getSandboxTemplateRef().getName();
    SandboxTemplate t = tname == null ? null : templates.getStore().getByKey(key(ns, tname));
    if (t == null) {
      LOG.warn("pool {}/{}: template {} not found; not declared yet", ns, p.getMetadata().getName(), tname);
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
      if (p.getMetadata().getNamespace().equals(t.getMetadata().getNamespace()) && p.getSpec() != null
          && p.getSpec().getSandboxTemplateRef() != null
          && t.getMetadata().getName().equals(p.getSpec().getSandboxTemplateRef().getName())) {
        declare(p, List.of());
      }
    }
  }

  private OwnerReference poolOwnerOf(PoolKey key) {
    SandboxWarmPool p = pools == null ? null : pools.getStore().getByKey(key(key.namespace(), key.name()));
    return p == null ? null : poolOwner(p);
  }

  /** Controller reference of a pool member to its pool. */
  static OwnerReference poolOwner(SandboxWarmPool pool) {
    return new OwnerReferenceBuilder().withApiVersion(EXT_API_VERSION).withKind("SandboxWarmPool")
        .withName(pool.getMetadata().getName()).withUid(pool.getMetadata().getUid()).withController(true)
        .withBlockOwnerDeletion(true).build();
  }

  /** Controller reference of an adopted Sandbox to its claim. */
  static OwnerReference claimOwner(SandboxClaim claim) {
    return new OwnerReferenceBuilder().withApiVersion(EXT_API_VERSION).withKind("SandboxClaim")
        .withName(claim.getMetadata().getName()).withUid(claim.getMetadata().getUid()).withController(true)
        .withBlockOwnerDeletion(true).build();
  }

  private static OwnerReference controllerOf(HasMetadata o) {
    if (o.getMetadata().getOwnerReferences() == null) return null;
    for (OwnerReference r : o.getMetadata().getOwnerReferences()) {
      if (Boolean.TRUE.equals(r.getController())) return r;
    }
    return null;
  }

  private static Condition readyCondition(Sandbox s) {
    if (s.getStatus() == null || s.getStatus().getConditions() == null) return null;
    for (Condition c : s.getStatus().getConditions()) if (SandboxConditions.READY.equals(c.getType())) return c;
    return null;
  }

  private static boolean isReady(Sandbox s) {
    Condition c = readyCondition(s);
    return c != null && "True".equals(c.getStatus()) && s.getStatus().getPodIPs() != null && !s.getStatus().getPodIPs().isEmpty();
  }

  private static List<String> ips(Sandbox s) {
    return s.getStatus() == null || s.getStatus().getPodIPs() == null ? List.of() : List.copyOf(s.getStatus().getPodIPs());
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
      OwnerReference ctl = controllerOf(s);
      if (ctl == null) continue;
      String ns = m.getNamespace();
      if ("SandboxWarmPool".equals(ctl.getKind())) {
        PoolKey pool = new PoolKey(ns, ctl.getName());
        if (isReady(s)) {
          out.computeIfAbsent(pool, k -> new ArrayList<>()).add(new RecoveredSandbox(m.getName(), ips(s), null));
        } else {
          provisioner.delete(pool, m.getName(), NOOP_LISTENER);
        }
      } else if ("SandboxClaim".equals(ctl.getKind())) {
        SandboxClaim c = claims.getStore().getByKey(key(ns, ctl.getName()));
        bound.put(ctl.getUid(), Boolean.TRUE);
        if (c == null || !Objects.equals(c.getMetadata().getUid(), ctl.getUid()) || c.getSpec() == null
            || c.getSpec().getWarmPoolRef() == null) {
          continue; // the claim is gone: garbage collection removes its sandbox
        }
        PoolKey pool = new PoolKey(ns, c.getSpec().getWarmPoolRef().getName());
        Map<String, String> ann = annotations(c);
        String claimId = claimIdOf(c);
        if (!claimId.startsWith(K8S_CLAIM_PREFIX)) httpClaims.put(claimId, ns);
        String tenant = ann.getOrDefault(AgentSandboxAnnotations.TENANT, "default");
        LaunchType lt = "cold".equals(m.getLabels() == null ? null : m.getLabels().get(UpstreamKeys.LAUNCH_TYPE)) ? LaunchType.COLD : LaunchType.WARM;
        long ttlMs = parseLong(ann.get(TTL_MS), 0);
        long expires = parseLong(ann.get(EXPIRES_AT_MS), 0);
        BindingRecord b = new BindingRecord(claimId, pool, m.getName(), tenant, 0, OnEmpty.WAIT, lt, ttlMs, expires);
        out.computeIfAbsent(pool, k -> new ArrayList<>()).add(new RecoveredSandbox(m.getName(), ips(s), b));
        if (!statusNamesSandbox(c)) {
          // The adoption was committed but the claim's status was not written before the restart
          // (it is written after the claim's answer).
          io.execute(() -> writeBoundStatus(c.getMetadata().getNamespace(), c.getMetadata().getName(), s));
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

  private static final io.agentsandbox.core.port.ProvisionListener NOOP_LISTENER = new io.agentsandbox.core.port.ProvisionListener() {
    @Override
    public void onSandboxReady(PoolKey pool, String sandboxName, List<String> addresses) {}

    @Override
    public void onSandboxFailed(PoolKey pool, String sandboxName, String reason) {}

    @Override
    public void onSandboxDeleted(PoolKey pool, String sandboxName) {}
  };

  // ------------------------------------------------------------------ claims

  private static Map<String, String> annotations(HasMetadata o) {
    return o.getMetadata().getAnnotations() == null ? Map.of() : o.getMetadata().getAnnotations();
  }

  static String claimIdOf(SandboxClaim c) {
    String id = annotations(c).get(CLAIM_ID);
    return id != null ? id : K8S_CLAIM_PREFIX + c.getMetadata().getNamespace() + "/" + c.getMetadata().getName();
  }

  private static boolean statusNamesSandbox(SandboxClaim c) {
    return c.getStatus() != null && c.getStatus().getSandbox() != null && c.getStatus().getSandbox().getName() != null;
  }

  private static boolean isBound(SandboxClaim c) {
    return (c.getStatus() != null && c.getStatus().getSandbox() != null && c.getStatus().getSandbox().getName() != null)
        || annotations(c).containsKey(UpstreamKeys.SANDBOX_NAME);
  }

  /** Informer thread: a new or changed claim; an unbound one becomes a ticket for its pool's shard. */
  private void onClaim(SandboxClaim c) {
    if (!claimsActive || c.getMetadata().getDeletionTimestamp() != null) return;
    if (isBound(c) || bound.containsKey(c.getMetadata().getUid())) return;
    if (annotations(c).containsKey(CLAIM_ID)) return; // made by the HTTP API: the engine binds it already
    String k = key(c.getMetadata().getNamespace(), c.getMetadata().getName());
    if (inFlight.putIfAbsent(k, Boolean.TRUE) != null) return;
    submit(c);
  }

  private void submit(SandboxClaim c) {
    String ns = c.getMetadata().getNamespace();
    String k = key(ns, c.getMetadata().getName());
    ClaimRequest request;
    try {
      request = request(c);
    } catch (IllegalArgumentException e) {
      inFlight.remove(k);
      writeCondition(c, "InvalidAnnotation", e.getMessage());
      return;
    }
    if (!submitter.submit(new K8sClaimTicket(request, ns, c.getMetadata().getName(), c.getMetadata().getUid()))) {
      inFlight.remove(k); // shard queue full: the next resync retries
    }
  }

  private ClaimRequest request(SandboxClaim c) {
    Map<String, String> ann = annotations(c);
    String ns = c.getMetadata().getNamespace();
    if (c.getSpec() == null || c.getSpec().getWarmPoolRef() == null || c.getSpec().getWarmPoolRef().getName() == null) {
      throw new IllegalArgumentException("spec.warmPoolRef.name is required");
    }
    long waitMs = ann.containsKey(AgentSandboxAnnotations.WAIT_MS)
        ? PoolSpecs.intAnnotation(ann, AgentSandboxAnnotations.WAIT_MS, 0) : options.defaultWaitMs();
    if (waitMs > options.maxWaitMs()) throw new IllegalArgumentException(AgentSandboxAnnotations.WAIT_MS + " above " + options.maxWaitMs());
    OnEmpty onEmpty = OnEmpty.WAIT;
    String oe = ann.get(AgentSandboxAnnotations.ON_EMPTY);
    if (oe != null) {
      onEmpty = switch (oe) {
        case "wait" -> OnEmpty.WAIT;
        case "cold" -> OnEmpty.COLD;
        case "reject" -> OnEmpty.REJECT;
        default -> throw new IllegalArgumentException(AgentSandboxAnnotations.ON_EMPTY + " must be wait, cold or reject: '" + oe + "'");
      };
    }
    if (c.getSpec().getEnv() != null && !c.getSpec().getEnv().isEmpty()) onEmpty = OnEmpty.COLD;
    int priority = 0;
    String pr = ann.get(AgentSandboxAnnotations.PRIORITY);
    if (pr != null) {
      try {
        priority = Integer.parseInt(pr.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(AgentSandboxAnnotations.PRIORITY + " must be an integer: '" + pr + "'");
      }
      if (priority < ClaimRequest.MIN_PRIORITY || priority > ClaimRequest.MAX_PRIORITY) {
        throw new IllegalArgumentException(AgentSandboxAnnotations.PRIORITY + " must be -1000..1000: " + priority);
      }
    }
    String tenant = ann.getOrDefault(AgentSandboxAnnotations.TENANT, "default");
    return new ClaimRequest(claimIdOf(c), new PoolKey(ns, c.getSpec().getWarmPoolRef().getName()), tenant, priority, onEmpty,
        TimeUnit.MILLISECONDS.toNanos(waitMs), 0, System.nanoTime());
  }

  private void onClaimDeleted(SandboxClaim c) {
    String ns = c.getMetadata().getNamespace();
    inFlight.remove(key(ns, c.getMetadata().getName()));
    bound.remove(c.getMetadata().getUid());
    if (c.getSpec() == null || c.getSpec().getWarmPoolRef() == null) return;
    String claimId = claimIdOf(c);
    httpClaims.remove(claimId);
    submitter.release(new PoolKey(ns, c.getSpec().getWarmPoolRef().getName()), claimId,
        annotations(c).getOrDefault(AgentSandboxAnnotations.TENANT, "default"));
  }

  /**
   * Informer thread: a claim-owned Sandbox changed; when its Ready condition (or podIPs) differs from
   * what its claim shows, the claim's status is rewritten (upstream forwards Ready from the Sandbox).
   */
  private void forwardReady(Sandbox sb) {
    OwnerReference ctl = controllerOf(sb);
    if (ctl == null || !"SandboxClaim".equals(ctl.getKind())) return;
    String ns = sb.getMetadata().getNamespace();
    SandboxClaim c = claims.getStore().getByKey(key(ns, ctl.getName()));
    if (c == null || !Objects.equals(c.getMetadata().getUid(), ctl.getUid()) || c.getStatus() == null
        || c.getStatus().getSandbox() == null || !sb.getMetadata().getName().equals(c.getStatus().getSandbox().getName())) {
      return; // not bound yet: the binding writes the status
    }
    Condition sbReady = readyCondition(sb);
    String want = sbReady == null ? "Unknown" : sbReady.getStatus();
    String have = null;
    if (c.getStatus().getConditions() != null) {
      for (Condition x : c.getStatus().getConditions()) if (SandboxConditions.READY.equals(x.getType())) have = x.getStatus();
    }
    List<String> haveIps = c.getStatus().getSandbox().getPodIPs() == null ? List.of() : c.getStatus().getSandbox().getPodIPs();
    if (want.equals(have) && haveIps.equals(ips(sb))) return;
    try {
      io.execute(() -> {
        try {
          writeBoundStatus(ns, c.getMetadata().getName(), sb);
        } catch (KubernetesClientException e) {
          LOG.debug("claim {}: Ready not forwarded: {}", c.getMetadata().getName(), e.getMessage());
        }
      });
    } catch (RejectedExecutionException e) {
      LOG.debug("claim {}: k8s-bind queue full; Ready not forwarded", c.getMetadata().getName());
    }
  }

  /** A SandboxClaim's claim in the engine. Completed on a shard's loop; the outcome hops to k8s-bind. */
  private final class K8sClaimTicket extends ClaimTicket {
    private final String namespace;
    private final String name;
    private final String uid;

    K8sClaimTicket(ClaimRequest request, String namespace, String name, String uid) {
      super(request);
      this.namespace = namespace;
      this.name = name;
      this.uid = uid;
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

  /** k8s-bind thread: the engine answered a SandboxClaim's claim. */
  private void completed(K8sClaimTicket t, ClaimOutcome outcome) {
    String k = key(t.namespace, t.name);
    SandboxClaim current = claims.getStore().getByKey(k);
    boolean alive = current != null && Objects.equals(current.getMetadata().getUid(), t.uid) && current.getMetadata().getDeletionTimestamp() == null;
    if (outcome instanceof ClaimOutcome.Assigned) {
      inFlight.remove(k);
      return;
    }
    ClaimOutcome.Rejected r = (ClaimOutcome.Rejected) outcome;
    if (alive && r.reason() == RejectReason.DEADLINE) {
      submit(current); // upstream claims wait until bound: wait another round (still in flight)
      return;
    }
    if (r.reason() == RejectReason.OVERLOADED) {
      inFlight.remove(k); // the pool's waiting room is full: like a full shard queue, the next resync (5 s) retries
      return;
    }
    LOG.info("claim {}: not bound: {} ({})", k, r.reason().code(), r.message());
    if (alive && !bound.containsKey(t.uid)) {
      String reason = switch (r.reason()) {
        case UNKNOWN_POOL -> REASON_WARM_POOL_NOT_FOUND;
        default -> "ClaimRejected";
      };
      // Still in flight while the condition is written, so a retry cannot bind it in between.
      writeCondition(current, reason, r.reason().code() + ": " + r.message());
    }
    inFlight.remove(k);
  }

  /** Ready=False with {@code reason}, unless the claim already shows it. Any thread but a shard's. */
  private void writeCondition(SandboxClaim c, String reason, String message) {
    if (c.getStatus() != null && c.getStatus().getConditions() != null) {
      for (Condition x : c.getStatus().getConditions()) {
        if (SandboxConditions.READY.equals(x.getType()) && "False".equals(x.getStatus()) && reason.equals(x.getReason())) return;
      }
    }
    Map<String, Object> cond = condition("False", reason, message, c.getMetadata().getGeneration());
    try {
      patchClaimStatus(c.getMetadata().getNamespace(), c.getMetadata().getName(), Map.of("conditions", List.of(cond)));
    } catch (KubernetesClientException e) {
      LOG.debug("claim {}: status write failed: {}", c.getMetadata().getName(), e.getMessage());
    }
  }

  private static Map<String, Object> condition(String status, String reason, String message, Long generation) {
    Map<String, Object> cond = new LinkedHashMap<>();
    cond.put("type", SandboxConditions.READY);
    cond.put("status", status);
    cond.put("reason", reason);
    if (message != null && !message.isEmpty()) cond.put("message", message);
    cond.put("lastTransitionTime", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    if (generation != null) cond.put("observedGeneration", generation);
    return cond;
  }

  private void patchClaimStatus(String ns, String name, Map<String, Object> status) {
    client.resources(SandboxClaim.class).inNamespace(ns).withName(name).subresource("status")
        .patch(PatchContext.of(PatchType.JSON_MERGE), toJson(Map.of("status", status)));
  }

  private String toJson(Object o) {
    try {
      return json.writeValueAsString(o);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private void writeBoundStatus(String ns, String claimName, Sandbox s) {
    Map<String, Object> sb = new LinkedHashMap<>();
    sb.put("name", s.getMetadata().getName());
    List<String> ips = ips(s);
    if (!ips.isEmpty()) sb.put("podIPs", ips);
    Condition ready = readyCondition(s);
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("sandbox", sb);
    status.put("conditions", List.of(condition(ready == null ? "Unknown" : ready.getStatus(),
        ready == null || ready.getReason() == null ? SandboxConditions.REASON_DEPENDENCIES_NOT_READY : ready.getReason(),
        ready == null ? null : ready.getMessage(), null)));
    patchClaimStatus(ns, claimName, status);
  }

  // ------------------------------------------------------------------ binding store

  /**
   * Makes a binding durable: (HTTP claims: create the SandboxClaim) → adoption patch; answers; then
   * writes the claim's status. The adoption is the durable binding (recovery rebuilds bindings from
   * adopted Sandboxes and writes a missing claim status itself), so the status write need not delay the answer.
   */
  private final class Store implements BindingStore {
    @Override
    public void persist(BindingRecord binding, Consumer<Throwable> done) {
      try {
        io.execute(() -> {
          Runnable status = null;
          Throwable failure = null;
          try {
            status = bind(binding);
          } catch (RuntimeException e) {
            failure = e;
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
                // forwardReady skips a claim whose status names no sandbox; a restart's recovery writes it
                LOG.warn("claim {}: bound, but its status was not written: {}", binding.claimId(), e.getMessage());
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
        io.execute(() -> {
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

  /** Creates (HTTP claims) and adopts; returns the claim-status write still to do. k8s-bind thread. */
  private Runnable bind(BindingRecord b) {
    String ns = b.pool().namespace();
    SandboxClaim c;
    if (b.claimId().startsWith(K8S_CLAIM_PREFIX)) {
      String claimName = b.claimId().substring(b.claimId().indexOf('/') + 1);
      c = claims.getStore().getByKey(key(ns, claimName));
      if (c == null) c = client.resources(SandboxClaim.class).inNamespace(ns).withName(claimName).get();
      if (c == null || c.getMetadata().getDeletionTimestamp() != null) throw new IllegalStateException("claim " + claimName + " is gone");
    } else {
      c = createHttpClaim(b);
      httpClaims.put(b.claimId(), ns);
    }
    bound.put(c.getMetadata().getUid(), Boolean.TRUE);
    Sandbox adopted = adopt(ns, b.sandboxName(), c, b.launchType());
    String claimName = c.getMetadata().getName();
    return () -> writeBoundStatus(ns, claimName, adopted);
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
      return client.resources(SandboxClaim.class).inNamespace(b.pool().namespace()).resource(c).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) throw e;
      SandboxClaim existing = client.resources(SandboxClaim.class).inNamespace(b.pool().namespace()).withName(b.claimId()).get();
      if (existing == null || !b.claimId().equals(annotations(existing).get(CLAIM_ID))) throw e;
      return existing;
    }
  }

  /**
   * Moves a pool member to the claim: ownerRefs replaced by the claim (controller), pool and
   * template-hash labels removed, {@code launch-type} and {@code claim-uid} set, {@code pod-name}
   * annotated, safe-to-evict stripped; optimistic concurrency on {@code resourceVersion}, 3 attempts.
   */
  private Sandbox adopt(String ns, String sandboxName, SandboxClaim claim, LaunchType launchType) {
    String claimUid = claim.getMetadata().getUid();
    var res = client.resources(Sandbox.class).inNamespace(ns).withName(sandboxName);
    Sandbox s = sandboxes.getStore().getByKey(key(ns, sandboxName));
    KubernetesClientException last = null;
    for (int attempt = 0; attempt < 4; attempt++) {
      if (s == null || attempt > 0) s = res.get();
      if (s == null || s.getMetadata().getDeletionTimestamp() != null) throw new IllegalStateException("sandbox " + sandboxName + " is gone");
      OwnerReference ctl = controllerOf(s);
      if (ctl != null && "SandboxClaim".equals(ctl.getKind())) {
        if (claimUid.equals(ctl.getUid())) return s; // already ours (a retried write went through)
        throw new IllegalStateException("sandbox " + sandboxName + " is already owned by claim " + ctl.getName());
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
      Map<String, Object> podMeta = new LinkedHashMap<>();
      podMeta.put("labels", Map.of(UpstreamKeys.CLAIM_UID, claimUid));
      podMeta.put("annotations", podAnn);
      Map<String, Object> patch = Map.of("metadata", meta, "spec", Map.of("podTemplate", Map.of("metadata", podMeta)));
      try {
        return res.patch(PatchContext.of(PatchType.JSON_MERGE), toJson(patch));
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
  public void writePoolStatus(PoolKey key, int replicas, int readyReplicas, String runtimeClassName) {
    SandboxWarmPool p = pools == null ? null : pools.getStore().getByKey(key(key.namespace(), key.name()));
    if (p == null) return;
    Map<String, Object> st = new LinkedHashMap<>();
    st.put("replicas", replicas);
    st.put("readyReplicas", readyReplicas);
    st.put("selector", UpstreamKeys.WARM_POOL_SANDBOX + "=" + UpstreamKeys.nameHash(key.name()));
    if (runtimeClassName != null && !runtimeClassName.isEmpty()) st.put("runtimeClassName", runtimeClassName);
    if (p.getMetadata().getGeneration() != null) st.put("observedGeneration", p.getMetadata().getGeneration());
    String body = toJson(Map.of("status", st));
    if (body.equals(lastPoolStatus.put(key, body))) return;
    try {
      io.execute(() -> {
        try {
          client.resources(SandboxWarmPool.class).inNamespace(key.namespace()).withName(key.name()).subresource("status")
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
    for (SharedIndexInformer<?> i : new SharedIndexInformer<?>[] {claims, pools, templates, sandboxes}) {
      if (i != null) i.close();
    }
    provisioner.close();
    sandboxReconciler.close();
    templateReconciler.close();
    io.shutdown();
    try {
      if (!io.awaitTermination(5, TimeUnit.SECONDS)) io.shutdownNow();
    } catch (InterruptedException e) {
      io.shutdownNow();
      Thread.currentThread().interrupt();
    }
    try {
      ownClient.close();
    } catch (Exception e) {
      LOG.debug("closing the client: {}", e.toString());
    }
  }
}
