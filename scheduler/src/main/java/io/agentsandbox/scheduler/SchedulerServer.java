package io.agentsandbox.scheduler;

import io.agentsandbox.core.model.ClaimTicket;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.model.RecoveredSandbox;
import io.agentsandbox.core.model.SandboxBlueprint;
import io.agentsandbox.core.port.BindingStore;
import io.agentsandbox.core.port.ClaimSubmitter;
import io.agentsandbox.core.port.NanoClock;
import io.agentsandbox.core.port.PoolCatalogListener;
import io.agentsandbox.core.port.SandboxExecutor;
import io.agentsandbox.core.port.SandboxProvisioner;
import io.agentsandbox.k8s.backend.KubernetesBackend;
import io.agentsandbox.k8s.exec.ExecWarmUpProvisioner;
import io.agentsandbox.k8s.exec.PodExecExecutor;
import io.agentsandbox.scheduler.backend.SimulatedProvisioner;
import io.agentsandbox.scheduler.backend.kubernetes.KubernetesBackendConfig;
import io.agentsandbox.scheduler.backend.local.LocalBackendConfig;
import io.agentsandbox.scheduler.backend.local.LocalProvisioner;
import io.agentsandbox.scheduler.http.ApiAuth;
import io.agentsandbox.scheduler.http.ApiContext;
import io.agentsandbox.scheduler.http.ClaimTokens;
import io.agentsandbox.scheduler.http.HttpVerticle;
import io.agentsandbox.scheduler.metrics.MicrometerSchedulerMetrics;
import io.agentsandbox.scheduler.pools.PoolCatalog;
import io.agentsandbox.scheduler.pools.PoolDeclarationLoader;
import io.agentsandbox.scheduler.shard.PoolShard;
import io.agentsandbox.scheduler.shard.PoolSnapshot;
import io.agentsandbox.scheduler.shard.RuntimeClassBudgets;
import io.agentsandbox.scheduler.shard.ShardCommand;
import io.agentsandbox.scheduler.shard.ShardProxy;
import io.agentsandbox.scheduler.shard.ShardRouter;
import io.agentsandbox.warmpool.SizingPolicy;
import io.agentsandbox.warmpool.WarmPoolPolicy;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds Vert.x with Micrometer, the backend, the shards (each on its own
 * event-loop context with one periodic timer), declares the pools, deploys the HTTP verticles.
 */
public final class SchedulerServer {

  private static final Logger LOG = LoggerFactory.getLogger(SchedulerServer.class);

  private final SchedulerConfig config;
  private final Vertx vertx;
  private final PrometheusMeterRegistry registry;
  private final PoolCatalog catalog;
  private final List<ShardProxy> shards;
  private final SandboxProvisioner provisioner;
  private volatile boolean ready;
  private KubernetesBackend kubernetes;

  /** Leader election: not (yet) the Lease holder, so not serving; /readyz says 503. */
  private volatile boolean standby;

  private volatile boolean closing;
  private final java.util.concurrent.CompletableFuture<Void> serving =
      new java.util.concurrent.CompletableFuture<>();
  private io.agentsandbox.scheduler.backend.kubernetes.LeaderElection election;

  /** Exec in pods on {@code --backend kubernetes}, else null. */
  private volatile PodExecExecutor podExec;

  private SchedulerServer(
      SchedulerConfig config,
      Vertx vertx,
      PrometheusMeterRegistry registry,
      PoolCatalog catalog,
      List<ShardProxy> shards,
      SandboxProvisioner provisioner) {
    this.config = config;
    this.vertx = vertx;
    this.registry = registry;
    this.catalog = catalog;
    this.shards = shards;
    this.provisioner = provisioner;
  }

  /**
   * Starts a server. Blocking work (reading pool YAML) happens on the calling thread, so do not
   * call this from an event loop.
   *
   * @return completes once the HTTP API listens, or fails naming the problem
   */
  public static Future<SchedulerServer> start(SchedulerConfig config) {
    return start(config, LocalBackendConfig.defaults());
  }

  /**
   * Starts a server; {@code localConfig} configures the local backend when it is used. Blocking
   * work (reading pool YAML, probing and cleaning the local backend) happens on the calling thread,
   * so do not call this from an event loop.
   *
   * @return completes once the HTTP API listens, or fails naming the problem
   */
  public static Future<SchedulerServer> start(
      SchedulerConfig config, LocalBackendConfig localConfig) {
    return start(config, localConfig, SecurityConfig.DEFAULTS);
  }

  /**
   * Starts a server with the given API authentication, TLS and slow-client settings. Blocking work
   * happens on the calling thread, so do not call this from an event loop.
   *
   * @return completes once the HTTP API listens, or fails naming the problem
   */
  public static Future<SchedulerServer> start(
      SchedulerConfig config, LocalBackendConfig localConfig, SecurityConfig security) {
    return start(config, localConfig, security, KubernetesBackendConfig.defaults());
  }

  /**
   * Starts a server; {@code kubeConfig} configures {@code --backend kubernetes} (pools then come
   * from the cluster's SandboxWarmPool/SandboxTemplate objects, not from {@code --pools-dir}).
   * Blocking work happens on the calling thread, so do not call this from an event loop.
   */
  public static Future<SchedulerServer> start(
      SchedulerConfig config,
      LocalBackendConfig localConfig,
      SecurityConfig security,
      KubernetesBackendConfig kubeConfig) {
    config.validate();
    LOG.info("configuration: {}", config);
    // --- security (issue 7): API tokens read here, before anything starts; re-read on a worker.
    security.validate();
    LOG.info("security: {}", security);
    ApiAuth apiAuth;
    try {
      apiAuth = security.fileTokens() ? ApiAuth.fromFile(security.apiTokensFile()) : ApiAuth.none();
      if (security.tokenReview() && !config.backend().equals("kubernetes")) {
        throw new IllegalArgumentException(
            "--auth "
                + security.auth()
                + " needs --backend kubernetes (TokenReview asks its API server)");
      }
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    if (!security.authEnabled()) {
      LOG.warn(
          "API AUTHENTICATION IS OFF (--auth none): anyone who reaches {}:{} can claim sandboxes as any tenant (X-Tenant). "
              + "Give --api-tokens-file (env AGENT_SANDBOX_API_TOKENS_FILE) to turn it on",
          config.host(),
          config.port());
    }
    boolean onKubernetes = config.backend().equals("kubernetes");
    PoolCatalog catalog;
    try {
      kubeConfig = kubeConfig.validate();
      catalog =
          onKubernetes
              ? new PoolCatalog(List.of())
              : new PoolDeclarationLoader().load(config.poolsDir());
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    if (config.port() == 0) config = withFreePort(config);

    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Vertx vertx =
        Vertx.builder()
            .with(
                new VertxOptions()
                    .setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
            .withMetrics(new MicrometerMetricsFactory(registry))
            .build();
    MicrometerSchedulerMetrics metrics = new MicrometerSchedulerMetrics(registry);
    SandboxProvisioner provisioner;
    KubernetesBackend kube = null;
    PodExecExecutor podExec = null;
    try {
      if (onKubernetes) {
        kube = kubernetesBackend(config, kubeConfig);
        provisioner = kube.provisioner();
        podExec =
            new PodExecExecutor(
                kube.client(),
                new PodExecExecutor.Options(
                    localConfig.execOutputLimitBytes(),
                    localConfig.execWorkers(),
                    Math.min(8, localConfig.execWorkers())));
        if (execWarmUp()) {
          // One no-op exec into each new sandbox before it is offered: claimers skip the runtime's
          // first-exec cost.
          provisioner = new ExecWarmUpProvisioner(provisioner, podExec, EXEC_WARM_UP_TIMEOUT_MS);
        }
        if (security.tokenReview()) {
          var verifier =
              new io.agentsandbox.scheduler.backend.kubernetes.TokenReviewVerifier(kube.client());
          apiAuth = apiAuth.enabled() ? apiAuth.withRemote(verifier) : ApiAuth.remoteOnly(verifier);
          LOG.info(
              "API auth: tokens {}checked by the Kubernetes API server (TokenReview; answers cached 30 s, refusals 5 s)",
              security.fileTokens() ? "not in the tokens file " : "");
        }
      } else {
        provisioner = backend(config, localConfig, vertx);
      }
    } catch (RuntimeException e) {
      if (podExec != null) podExec.close();
      return vertx.close().transform(x -> Future.failedFuture(e));
    }
    WarmPoolPolicy policy =
        new WarmPoolPolicy(
            TimeUnit.SECONDS.toNanos(config.readinessGraceSeconds()),
            config.maxStartingPerPool(),
            config.maxClaimsPerTenant(),
            1_000,
            WarmPoolPolicy.DEFAULTS.createBackoffBaseNs(),
            WarmPoolPolicy.DEFAULTS.createBackoffMaxNs(),
            TimeUnit.MILLISECONDS.toNanos(config.maxAdmittedWaitMs()),
            config.maxWaitingPerPool());

    SizingPolicy sizing =
        new SizingPolicy(
            SizingPolicy.DEFAULTS.shortWindowNs(),
            SizingPolicy.DEFAULTS.longWindowNs(),
            SizingPolicy.DEFAULTS.scaleDownDelayNs(),
            SizingPolicy.DEFAULTS.scaleDownStepNs(),
            config.leadTimeSeedMs());
    Map<String, Integer> concurrency = new HashMap<>();
    config.createConcurrency().forEach((k, v) -> concurrency.put(k, v.intValue()));
    Map<String, Double> rates = new HashMap<>();
    config.createRatePerSecond().forEach((k, v) -> rates.put(k, v.doubleValue()));
    RuntimeClassBudgets budgets = new RuntimeClassBudgets(concurrency, rates);
    NanoClock clock = NanoClock.SYSTEM;
    BindingStore bindingStore =
        kube != null
            ? kube.bindingStore()
            : provisioner instanceof BindingStore store ? store : BindingStore.NOOP;
    PoolShard.Options shardOptions =
        new PoolShard.Options(sizing, budgets, bindingStore, config.maxWaitingPerShard());
    List<ShardProxy> proxies = new ArrayList<>();
    for (int k = 0; k < config.shards(); k++) {
      ContextInternal ctx = ((VertxInternal) vertx).createEventLoopContext();
      Executor onShardLoop = task -> ctx.runOnContext(v -> task.run());
      PoolShard shard =
          new PoolShard(
              k,
              config.claimQueueCapacity(),
              config.drainLimit(),
              onShardLoop,
              clock,
              provisioner,
              metrics,
              policy,
              shardOptions);
      long tickMs = config.tickMs();
      ctx.runOnContext(v -> vertx.setPeriodic(tickMs, id -> shard.onTick(clock.nanoTime())));
      ShardProxy proxy = new ShardProxy(shard);
      proxies.add(proxy);
      Gauge.builder(
              MicrometerSchedulerMetrics.PREFIX + "shard_queue_depth",
              proxy,
              ShardProxy::claimQueueDepth)
          .description("Claims queued in a shard's inbox")
          .tag("shard", Integer.toString(k))
          .tag("queue", "claims")
          .register(registry);
      Gauge.builder(
              MicrometerSchedulerMetrics.PREFIX + "shard_queue_depth",
              proxy,
              ShardProxy::controlQueueDepth)
          .description("Claims queued in a shard's inbox")
          .tag("shard", Integer.toString(k))
          .tag("queue", "control")
          .register(registry);
    }
    ShardRouter router = new ShardRouter(proxies.size());
    Map<PoolKey, LocalProvisioner.RecoveredPool> recovered = new HashMap<>();
    ClaimTokens tokens =
        kube != null ? kubernetesClaimTokens(localConfig.stateDir()) : ClaimTokens.random();
    if (provisioner instanceof LocalProvisioner local) {
      // Restart recovery, before any pool is declared: keep what still runs, destroy the rest.
      try {
        // The key first: tokens of restored claims must verify (and a bad key file stops start-up
        // before anything is kept).
        tokens = ClaimTokens.persistent(local.stateDir().resolve("claim-token.key"));
        Map<PoolKey, SandboxBlueprint> declared = new HashMap<>();
        for (PoolSpec spec : catalog.pools()) declared.put(spec.key(), spec.blueprint());
        recovered.putAll(
            local.recover(
                new LocalProvisioner.RecoveryPlan(
                    declared,
                    b -> router.shardOfClaim(b.claimId()) == router.shardOf(b.pool()),
                    key -> proxies.get(router.shardOf(key)).provisionListener())));
      } catch (RuntimeException e) {
        local.close();
        return vertx.close().transform(x -> Future.failedFuture(e));
      }
    }
    for (PoolSpec spec : catalog.pools()) {
      var kept = recovered.remove(spec.key());
      proxies
          .get(router.shardOf(spec.key()))
          .send(new ShardCommand.DeclarePool(spec, kept == null ? List.of() : kept.sandboxes()));
    }
    for (LocalProvisioner.RecoveredPool gone : recovered.values()) {
      // Only bound sandboxes are kept for a pool no longer declared: they stay until released or
      // expired.
      LOG.warn(
          "pool {} is no longer declared; keeping its {} sandbox(es) bound to claims until they are released or expire",
          gone.pool(),
          gone.sandboxes().size());
      proxies
          .get(router.shardOf(gone.pool()))
          .send(
              new ShardCommand.AdoptRemovedPool(
                  new PoolSpec(gone.pool(), gone.blueprint(), 0, 0), gone.sandboxes()));
    }

    SchedulerServer server =
        new SchedulerServer(config, vertx, registry, catalog, proxies, provisioner);
    if (kube != null && kubeConfig.leaderElection()) {
      // Stand by (not ready) until this replica holds the Lease; then recover and serve.
      server.kubernetes = kube;
      server.standby = true;
      KubernetesBackend k = kube;
      KubernetesBackendConfig kc = kubeConfig;
      server.election =
          new io.agentsandbox.scheduler.backend.kubernetes.LeaderElection(
              kube.client(),
              kubeConfig,
              () ->
                  new Thread(
                          () -> {
                            try {
                              k.start(
                                  submitter(router, proxies),
                                  poolListener(router, proxies, catalog));
                              server.standby = false;
                              server.serving.complete(null);
                              LOG.info("leading: serving pools and claims");
                            } catch (RuntimeException e) {
                              LOG.error(
                                  "--backend kubernetes: cannot start after winning the election; exiting: {}",
                                  e.toString(),
                                  e);
                              if (!server.closing) Runtime.getRuntime().halt(1);
                            }
                          },
                          "kubernetes-backend-start")
                      .start(),
              () -> {
                if (server.closing) return;
                // Another replica may already bind claims: stop at once rather than risk double
                // binding.
                LOG.error(
                    "lost the Lease {}/{}; exiting so the new leader alone serves",
                    kc.leaseNamespace(),
                    kc.leaseName());
                Runtime.getRuntime().halt(1);
              });
      vertx.setPeriodic(1_000, id -> writePoolStatus(k, proxies));
    } else if (kube != null) {
      // Pools and SandboxClaims come from the cluster: recovery from the informer caches, then
      // declarations.
      try {
        kube.start(submitter(router, proxies), poolListener(router, proxies, catalog));
      } catch (RuntimeException e) {
        podExec.close();
        kube.close();
        return vertx
            .close()
            .transform(
                x ->
                    Future.failedFuture(
                        new IllegalStateException(
                            "--backend kubernetes: cannot start: " + e.getMessage(), e)));
      }
      server.kubernetes = kube;
      KubernetesBackend k = kube;
      vertx.setPeriodic(1_000, id -> writePoolStatus(k, proxies));
    }
    SandboxExecutor executor = provisioner instanceof SandboxExecutor ex ? ex : null;
    if (kube != null) {
      // Exec and files in pods: the API server's pods/exec; the same claim-token rules as locally
      // (SandboxRoutes).
      server.podExec = podExec;
      executor = server.podExec;
    }
    ApiContext api =
        new ApiContext(
            config,
            router,
            proxies,
            catalog,
            registry,
            clock,
            () -> server.ready && !server.standby,
            executor,
            provisioner::unavailableReason,
            tokens,
            localConfig.execOutputLimitBytes());
    SchedulerConfig cfg = config;
    ApiAuth auth = apiAuth;
    return vertx
        .deployVerticle(
            () -> new HttpVerticle(api, security, auth),
            new DeploymentOptions().setInstances(config.httpInstances()))
        .map(
            id -> {
              if (security.fileTokens()) {
                vertx.setPeriodic(
                    security.reloadIntervalMs(), t -> vertx.executeBlocking(auth::reloadIfChanged));
              }
              server.ready = true;
              server.logStarted(cfg, security.tlsEnabled());
              return server;
            })
        .recover(
            e ->
                vertx
                    .close()
                    .transform(
                        x ->
                            Future.failedFuture(
                                new IllegalStateException(
                                    "cannot listen on "
                                        + cfg.host()
                                        + ":"
                                        + cfg.port()
                                        + ": "
                                        + e.getMessage(),
                                    e))));
  }

  /**
   * Claim tokens on {@code --backend kubernetes}: the key is kept in the state dir (as the local
   * backend keeps it), so tokens of claims bound before a restart of this process still open exec
   * and files; a replica elsewhere (another pod) has its own key. Per-process key when the dir is
   * not writable.
   */
  private static ClaimTokens kubernetesClaimTokens(java.nio.file.Path stateDir) {
    try {
      java.nio.file.Files.createDirectories(stateDir);
      return ClaimTokens.persistent(stateDir.resolve("claim-token.key"));
    } catch (IOException | RuntimeException e) {
      LOG.warn(
          "claim tokens: cannot keep the key in {} ({}); using a per-process key: tokens will not survive a restart",
          stateDir,
          e.getMessage());
      return ClaimTokens.random();
    }
  }

  /**
   * Deadline of the warm-up exec into a new sandbox; it is offered to claims at the latest then.
   */
  static final long EXEC_WARM_UP_TIMEOUT_MS = 10_000;

  /**
   * Whether {@code --backend kubernetes} runs one no-op exec into each new sandbox before offering
   * it ({@code AGENT_SANDBOX_EXEC_WARM_UP=true} or {@code -Dagentsandbox.execWarmUp=true}). Off by
   * default: on the real node it did not shorten warm claim → first exec and made cold claims wait
   * for it (benchmarks/RESULTS.md, "Real node (issue 9)").
   */
  static boolean execWarmUp() {
    String v =
        System.getProperty("agentsandbox.execWarmUp", System.getenv("AGENT_SANDBOX_EXEC_WARM_UP"));
    return v != null && v.trim().equalsIgnoreCase("true");
  }

  private static KubernetesBackend kubernetesBackend(
      SchedulerConfig config, KubernetesBackendConfig kc) {
    io.fabric8.kubernetes.client.Config fabric8;
    try {
      fabric8 =
          kc.kubeconfig() == null
              ? io.fabric8.kubernetes.client.Config.autoConfigure(null)
              : io.fabric8.kubernetes.client.Config.fromKubeconfig(
                  java.nio.file.Files.readString(kc.kubeconfig()));
    } catch (IOException e) {
      throw new IllegalStateException(
          "--kubeconfig: cannot read " + kc.kubeconfig() + ": " + e.getMessage(), e);
    }
    KubernetesBackend.Options d = KubernetesBackend.Options.defaults();
    LOG.info(
        "backend: kubernetes, API server {}, namespace {}",
        fabric8.getMasterUrl(),
        kc.watchNamespace() == null ? "<all>" : kc.watchNamespace());
    return new KubernetesBackend(
        fabric8,
        new KubernetesBackend.Options(
            kc.watchNamespace(), d.ioThreads(), config.defaultWaitMs(), config.maxWaitMs()));
  }

  /** SandboxClaims → the shard owning their pool. */
  private static ClaimSubmitter submitter(ShardRouter router, List<ShardProxy> proxies) {
    return new ClaimSubmitter() {
      @Override
      public boolean submit(ClaimTicket ticket) {
        return proxies.get(router.shardOf(ticket.request().pool())).submitClaim(ticket);
      }

      @Override
      public void release(PoolKey pool, String claimId, String tenant) {
        proxies
            .get(router.shardOf(pool))
            .send(new ShardCommand.ReleaseClaim(claimId, tenant, Promise.promise()));
      }
    };
  }

  /** SandboxWarmPool declarations → the shard owning the pool. */
  private static PoolCatalogListener poolListener(
      ShardRouter router, List<ShardProxy> proxies, PoolCatalog catalog) {
    return new PoolCatalogListener() {
      @Override
      public void declare(PoolSpec spec, List<RecoveredSandbox> recovered) {
        catalog.put(spec); // the HTTP edge resolves claims by template against the cluster's pools
        proxies.get(router.shardOf(spec.key())).send(new ShardCommand.DeclarePool(spec, recovered));
      }

      @Override
      public void remove(PoolKey pool) {
        catalog.remove(pool);
        proxies.get(router.shardOf(pool)).send(new ShardCommand.RemovePool(pool));
      }
    };
  }

  /**
   * Once a second: each pool's replicas / readyReplicas into its SandboxWarmPool status (written
   * only on change).
   */
  private static void writePoolStatus(KubernetesBackend kube, List<ShardProxy> proxies) {
    for (ShardProxy shard : proxies) {
      Promise<List<PoolSnapshot>> reply = Promise.promise();
      shard.send(new ShardCommand.ReadPools(reply));
      reply
          .future()
          .onSuccess(
              list -> {
                for (PoolSnapshot p : list) {
                  kube.writePoolStatus(
                      p.spec().key(),
                      p.ready() + p.starting(),
                      p.ready(),
                      p.spec().runtimeClass().name());
                }
              });
    }
  }

  /** Completes when this replica serves pools and claims (at once without leader election). */
  public java.util.concurrent.CompletionStage<Void> whenServing() {
    if (!standby) serving.complete(null);
    return serving;
  }

  /** True while this replica waits for the Lease (leader election). */
  public boolean isStandby() {
    return standby;
  }

  /** The Kubernetes backend, or null on another backend. */
  public KubernetesBackend kubernetes() {
    return kubernetes;
  }

  private static SandboxProvisioner backend(
      SchedulerConfig config, LocalBackendConfig localConfig, Vertx vertx) {
    if (!config.backend().equals("simulated")) {
      LocalProvisioner local = LocalProvisioner.openForRecovery(localConfig);
      if (local.anyRuntimeUsable()) {
        LOG.info("backend: local, state dir {}; {}", local.stateDir(), local.probe().describe());
        return local;
      }
      local.recover(LocalProvisioner.RecoveryPlan.NONE);
      local.close();
      if (config.backend().equals("local")) {
        throw new IllegalStateException(
            "--backend local: no local runtime works on this host: " + local.probe().describe());
      }
      LOG.warn(
          "backend auto: no local runtime works on this host ({}); FALLING BACK TO THE SIMULATED BACKEND. "
              + "For real sandboxes run scripts/install-runtimes.sh as root (apt-get install -y runsc bubblewrap)",
          local.probe().describe());
    }
    LOG.warn(
        "backend: SIMULATED: no real sandbox is started; each becomes 'ready' after a latency drawn per runtime class {}",
        config.simulatedLatencyMs());
    return new SimulatedProvisioner(
        vertx, config::simulatedLatencyMs, config.simulatedFailureRate());
  }

  private static SchedulerConfig withFreePort(SchedulerConfig c) {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(c.host()))) {
      return c.withPort(s.getLocalPort());
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot find a free port on " + c.host() + ": " + e.getMessage(), e);
    }
  }

  private void logStarted(SchedulerConfig c, boolean tls) {
    String base =
        (tls ? "https://" : "http://")
            + (c.host().equals("0.0.0.0") ? "127.0.0.1" : c.host())
            + ":"
            + c.port();
    StringBuilder pools = new StringBuilder();
    for (PoolSpec p : catalog.pools()) {
      pools
          .append("\n  pool ")
          .append(p.key())
          .append(": ")
          .append(p.replicas())
          .append(" warm, runtime class ")
          .append(p.runtimeClass().displayName())
          .append(", template ")
          .append(p.blueprint().templateName());
    }
    String first = catalog.pools().isEmpty() ? "<pool>" : catalog.pools().get(0).key().name();
    LOG.info(
        "agent-sandbox server listening on {} ({} shards, backend {}{}){}\n"
            + "  claim:   curl -s{} -XPOST {}/v1/claims -H 'content-type: application/json' -d '{\"pool\":\"{}\"}'\n"
            + "  release: curl -s -XDELETE {}/v1/claims/<claimId>\n"
            + "  pools:   curl -s {}/v1/pools",
        base,
        shards.size(),
        provisioner.backendName(),
        provisioner.isSimulated() ? ", SIMULATED" : "",
        pools,
        tls ? " --cacert <ca.pem>" : "",
        base,
        first,
        base,
        base);
  }

  public int port() {
    return config.port();
  }

  public SchedulerConfig config() {
    return config;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** The sandbox backend in use. */
  public SandboxProvisioner provisioner() {
    return provisioner;
  }

  public PoolCatalog catalog() {
    return catalog;
  }

  public List<ShardProxy> shards() {
    return shards;
  }

  /** Stops taking traffic, answers waiting claims with 503, and closes Vert.x. Any thread. */
  public Future<Void> close() {
    ready = false;
    List<Future<Void>> stops = new ArrayList<>();
    for (ShardProxy s : shards) {
      Promise<Void> p = Promise.promise();
      s.send(new ShardCommand.Shutdown(p));
      stops.add(p.future());
    }
    Future<Void> shardsStopped = Future.all(stops).mapEmpty();
    if (provisioner instanceof LocalProvisioner local) {
      // Destroying sandboxes runs processes: off the event loops, on a thread of its own.
      shardsStopped =
          shardsStopped.transform(
              x ->
                  Future.fromCompletionStage(
                      java.util.concurrent.CompletableFuture.runAsync(
                          local::close, r -> new Thread(r, "local-backend-close").start())));
    }
    closing = true;
    if (election != null) election.close();
    KubernetesBackend kube = kubernetes;
    PodExecExecutor exec = podExec;
    if (exec != null) exec.close();
    if (kube != null) {
      shardsStopped =
          shardsStopped.transform(
              x ->
                  Future.fromCompletionStage(
                      java.util.concurrent.CompletableFuture.runAsync(
                          kube::close, r -> new Thread(r, "kubernetes-backend-close").start())));
    }
    return shardsStopped.transform(x -> vertx.close()).onComplete(x -> registry.close());
  }
}
