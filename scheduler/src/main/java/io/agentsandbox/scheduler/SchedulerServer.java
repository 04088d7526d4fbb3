package io.agentsandbox.scheduler;

import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.port.NanoClock;
import io.agentsandbox.core.port.SandboxProvisioner;
import io.agentsandbox.core.port.TokenVerifier;
import io.agentsandbox.k8s.backend.KubernetesBackend;
import io.agentsandbox.k8s.backend.KubernetesBackendConfig;
import io.agentsandbox.scheduler.backend.Backend;
import io.agentsandbox.scheduler.backend.kubernetes.KubernetesServerBackend;
import io.agentsandbox.scheduler.backend.local.LocalBackendConfig;
import io.agentsandbox.scheduler.http.ApiAuth;
import io.agentsandbox.scheduler.http.ApiContext;
import io.agentsandbox.scheduler.http.HttpVerticle;
import io.agentsandbox.scheduler.metrics.MicrometerSchedulerMetrics;
import io.agentsandbox.scheduler.pools.PoolCatalog;
import io.agentsandbox.scheduler.pools.PoolDeclarationLoader;
import io.agentsandbox.scheduler.shard.ShardGroup;
import io.agentsandbox.scheduler.shard.ShardProxy;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds Vert.x with Micrometer, the {@link Backend}, the {@link ShardGroup}
 * (each shard on its own event-loop context with one periodic timer), declares the pools through
 * the backend, deploys the HTTP verticles. Fatal errors after start (a lost leader Lease) are
 * reported on {@link #fatalError()}; the library never exits the process. Thread-safe.
 */
public final class SchedulerServer {

  private static final Logger LOG = LoggerFactory.getLogger(SchedulerServer.class);

  private final ServerContext context;
  private final Vertx vertx;
  private final PrometheusMeterRegistry registry;
  private final PoolCatalog catalog;
  private final ShardGroup shards;
  private final Backend backend;
  private final CompletableFuture<Void> serving = new CompletableFuture<>();
  private final CompletableFuture<Throwable> fatal = new CompletableFuture<>();
  private volatile boolean ready;
  private volatile boolean closing;

  private SchedulerServer(
      ServerContext context,
      Vertx vertx,
      PrometheusMeterRegistry registry,
      PoolCatalog catalog,
      ShardGroup shards,
      Backend backend) {
    this.context = context;
    this.vertx = vertx;
    this.registry = registry;
    this.catalog = catalog;
    this.shards = shards;
    this.backend = backend;
  }

  /** Starts a server with the other parts of its context at their defaults. */
  public static Future<SchedulerServer> start(SchedulerConfig config) {
    return start(new ServerContext(config));
  }

  /** Starts a server; {@code localConfig} configures the local backend when it is used. */
  public static Future<SchedulerServer> start(
      SchedulerConfig config, LocalBackendConfig localConfig) {
    return start(new ServerContext(config).local(localConfig));
  }

  /** Starts a server with the given API authentication, TLS and slow-client settings. */
  public static Future<SchedulerServer> start(
      SchedulerConfig config, LocalBackendConfig localConfig, SecurityConfig security) {
    return start(new ServerContext(config).local(localConfig).security(security));
  }

  /** Starts a server; {@code kubeConfig} configures {@code --backend kubernetes}. */
  public static Future<SchedulerServer> start(
      SchedulerConfig config,
      LocalBackendConfig localConfig,
      SecurityConfig security,
      KubernetesBackendConfig kubeConfig) {
    return start(
        new ServerContext(config).local(localConfig).security(security).kubernetes(kubeConfig));
  }

  /**
   * Starts a server. Blocking work (reading pool YAML, probing and recovering the local backend,
   * connecting to the cluster) happens on the calling thread, so do not call this from an event
   * loop.
   *
   * @return completes once the HTTP API listens, or fails naming the problem
   */
  public static Future<SchedulerServer> start(ServerContext context) {
    ApiAuth apiAuth;
    PoolCatalog catalog;
    try {
      context = context.conclude();
      LOG.info("configuration: {}", context);
      SecurityConfig security = context.security();
      apiAuth = security.fileTokens() ? ApiAuth.fromFile(security.apiTokensFile()) : ApiAuth.none();
      catalog =
          context.onKubernetes()
              ? new PoolCatalog(List.of())
              : new PoolDeclarationLoader().load(context.server().poolsDir());
      if (context.server().port() == 0) context = withFreePort(context);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    warnIfAuthOff(context);

    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Vertx vertx =
        Vertx.builder()
            .with(
                new VertxOptions()
                    .setMetricsOptions(
                        new MicrometerMetricsOptions()
                            .setEnabled(true)
                            // Per-request meters cost ~10 % of a claim; ResponseCounts replaces
                            // them.
                            .addDisabledMetricsCategory(
                                io.vertx.micrometer.MetricsDomain.HTTP_SERVER)))
            .withMetrics(new MicrometerMetricsFactory(registry))
            .build();
    Backend backend;
    try {
      backend = Backends.open(context, vertx);
    } catch (RuntimeException e) {
      return vertx.close().transform(x -> Future.failedFuture(e));
    }
    SchedulerServer server;
    try {
      if (context.security().tokenReview()) apiAuth = withTokenReview(apiAuth, backend, context);
      ShardGroup shards =
          ShardGroup.start(
              vertx,
              ServerSettings.shards(context.server()),
              NanoClock.SYSTEM,
              backend.provisioner(),
              backend.bindingStore(),
              new MicrometerSchedulerMetrics(registry));
      ServerSettings.registerQueueGauges(shards, registry);
      backend.registerMeters(registry);
      server = new SchedulerServer(context, vertx, registry, catalog, shards, backend);
      backend.claimTokens(); // a bad key file stops start-up before anything is recovered
      backend.start(shards, catalog, server.events());
    } catch (RuntimeException e) {
      backend.close();
      return vertx.close().transform(x -> Future.failedFuture(e));
    }
    CompletableFuture<SchedulerServer> started = new CompletableFuture<>();
    SchedulerConfig cfg = context.server();
    SchedulerServer deploying = server;
    server
        .deployHttp(apiAuth)
        .onComplete(
            ar -> {
              if (ar.succeeded()) {
                started.complete(ar.result());
              } else {
                Throwable e = ar.cause();
                deploying.closeThenFail(
                    started,
                    new IllegalStateException(
                        "cannot listen on " + cfg.host() + ":" + cfg.port() + ": " + e.getMessage(),
                        e));
              }
            });
    return Future.fromCompletionStage(started);
  }

  private Backend.Events events() {
    return new Backend.Events() {
      @Override
      public void serving() {
        serving.complete(null);
      }

      @Override
      public void fatal(Throwable cause) {
        if (!closing) fatal.complete(cause);
      }
    };
  }

  private Future<SchedulerServer> deployHttp(ApiAuth auth) {
    SchedulerConfig cfg = context.server();
    SecurityConfig security = context.security();
    ApiContext api =
        new ApiContext(
            cfg,
            shards.router(),
            shards.proxies(),
            catalog,
            registry,
            NanoClock.SYSTEM,
            () -> ready && serving.isDone(),
            backend.executor(),
            backend.provisioner()::unavailableReason,
            backend.claimTokens(),
            context.local().execOutputLimitBytes(),
            backend.provisioner(),
            context.agentLocator() != null ? context.agentLocator() : backend.agentLocator());
    return vertx
        .deployVerticle(
            () -> new HttpVerticle(api, security, auth),
            new DeploymentOptions().setInstances(cfg.httpInstances()))
        .map(
            id -> {
              if (security.fileTokens()) {
                vertx.setPeriodic(
                    security.reloadIntervalMs(), t -> vertx.executeBlocking(auth::reloadIfChanged));
              }
              ready = true;
              LOG.info("{}", ServerSettings.startedMessage(cfg, security.tlsEnabled(), this));
              return this;
            });
  }

  /**
   * Closes the server, then fails {@code failed} with {@code cause}, on a thread of its own.
   * Neither may go through a Vert.x future: its callbacks run on an event loop, and once {@code
   * vertx.close()} has stopped the loops they never run, so start-up would hang instead of failing
   * (seen when the port was taken).
   */
  private void closeThenFail(CompletableFuture<SchedulerServer> failed, RuntimeException cause) {
    new Thread(
            () -> {
              try {
                close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
              } catch (Exception closeFailure) {
                cause.addSuppressed(closeFailure);
              }
              failed.completeExceptionally(cause);
            },
            "start-failed-close")
        .start();
  }

  private static ApiAuth withTokenReview(ApiAuth apiAuth, Backend backend, ServerContext ctx) {
    TokenVerifier verifier = backend.tokenVerifier();
    LOG.info(
        "API auth: tokens {}checked by the Kubernetes API server"
            + " (TokenReview; answers cached 30 s, refusals 5 s)",
        ctx.security().fileTokens() ? "not in the tokens file " : "");
    return apiAuth.enabled() ? apiAuth.withRemote(verifier) : ApiAuth.remoteOnly(verifier);
  }

  private static void warnIfAuthOff(ServerContext ctx) {
    if (ctx.security().authEnabled()) return;
    LOG.warn(
        "API AUTHENTICATION IS OFF (--auth none): anyone who reaches {}:{} can claim sandboxes as"
            + " any tenant (X-Tenant). Give --api-tokens-file (env AGENT_SANDBOX_API_TOKENS_FILE)"
            + " to turn it on",
        ctx.server().host(),
        ctx.server().port());
  }

  private static ServerContext withFreePort(ServerContext c) {
    String host = c.server().host();
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(host))) {
      return c.withPort(s.getLocalPort());
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot find a free port on " + host + ": " + e.getMessage(), e);
    }
  }

  /** Completes when this replica serves pools and claims (at once without leader election). */
  public CompletionStage<Void> whenServing() {
    return serving;
  }

  /** True while this replica waits for the Lease (leader election). */
  public boolean isStandby() {
    return !serving.isDone();
  }

  /**
   * Completes with the cause when this server can no longer serve safely (it lost its leader Lease,
   * or could not start after winning it). The process should exit at once: {@link Main} does.
   */
  public CompletionStage<Throwable> fatalError() {
    return fatal;
  }

  /** The Kubernetes backend, or null on another backend. */
  public KubernetesBackend kubernetes() {
    return backend instanceof KubernetesServerBackend k ? k.kubernetes() : null;
  }

  public int port() {
    return context.server().port();
  }

  public SchedulerConfig config() {
    return context.server();
  }

  /** The whole concluded configuration. */
  public ServerContext context() {
    return context;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** The backend in use. */
  public Backend backend() {
    return backend;
  }

  /** The sandbox provisioner in use. */
  public SandboxProvisioner provisioner() {
    return backend.provisioner();
  }

  public PoolCatalog catalog() {
    return catalog;
  }

  public List<ShardProxy> shards() {
    return shards.proxies();
  }

  /** Stops taking traffic, answers waiting claims with 503, and closes Vert.x. Any thread. */
  public Future<Void> close() {
    ready = false;
    closing = true;
    // Closing the backend may destroy sandboxes (runs processes) or block on the API server: off
    // the event loops, on a thread of its own.
    Future<Void> backendClosed =
        shards
            .shutdown()
            .transform(
                x ->
                    Future.fromCompletionStage(
                        CompletableFuture.runAsync(
                            backend::close, r -> new Thread(r, "backend-close").start())));
    return backendClosed.transform(x -> vertx.close()).onComplete(x -> registry.close());
  }

  /** The pools this server declared at start (for the start-up message). */
  List<PoolSpec> declaredPools() {
    return catalog.pools();
  }
}
