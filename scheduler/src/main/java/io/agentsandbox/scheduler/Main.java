package io.agentsandbox.scheduler;

import io.agentsandbox.scheduler.backend.local.LocalBackendConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The server's entry point: parses flags and environment into a {@link SchedulerConfig}, starts.
 */
@Command(
    name = "agent-sandbox-server",
    mixinStandardHelpOptions = true,
    version = "agent-sandbox-server 0.1.0",
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Hands out pre-started, isolated sandboxes to AI agents from warm pools, over an HTTP claim API.",
      "Pools are SandboxTemplate + SandboxWarmPool YAML (extensions.agents.x-k8s.io/v1beta1) read from --pools-dir.",
      "Every option can also be set by the environment variable shown in its description.",
      ""
    },
    footer = {
      "",
      "Example: claim a sandbox from the example gVisor pool, run a command in it, then release it:",
      "  curl -s -XPOST localhost:8080/v1/claims -H 'content-type: application/json' -d '{\"pool\":\"python-gvisor\"}'",
      "  curl -s -XPOST localhost:8080/v1/sandboxes/<sandbox name>/exec -H 'authorization: Bearer <token>' \\",
      "       -H 'content-type: application/json' -d '{\"command\":[\"python3\",\"-c\",\"print(1+1)\"]}'",
      "  curl -s -XDELETE localhost:8080/v1/claims/<claimId>",
      "API reference: GET /openapi.yaml on the running server."
    })
public final class Main implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  @Option(
      names = "--host",
      defaultValue = "${env:AGENT_SANDBOX_HOST:-127.0.0.1}",
      description =
          "Address to bind (env AGENT_SANDBOX_HOST; default ${DEFAULT-VALUE}; 0.0.0.0 for all interfaces).")
  String host;

  @Option(
      names = "--port",
      defaultValue = "${env:AGENT_SANDBOX_PORT:-8080}",
      description =
          "HTTP port of the claim API (env AGENT_SANDBOX_PORT; default ${DEFAULT-VALUE}; 0 picks a free port).")
  int port;

  @Option(
      names = "--pools-dir",
      defaultValue = "${env:AGENT_SANDBOX_POOLS_DIR:-crds/examples}",
      description =
          "Directory of SandboxTemplate/SandboxWarmPool YAML to load at start (env AGENT_SANDBOX_POOLS_DIR; default ${DEFAULT-VALUE}).")
  Path poolsDir;

  @Option(
      names = "--backend",
      defaultValue = "${env:AGENT_SANDBOX_BACKEND:-auto}",
      description =
          "Sandbox backend (env AGENT_SANDBOX_BACKEND; default ${DEFAULT-VALUE}). 'local' runs real sandboxes on this host: gVisor (runsc) for "
              + "runtimeClassName gvisor, bubblewrap (bwrap) for unset/runc; 'simulated' starts no real sandbox: each becomes ready after a latency "
              + "drawn per runtime class; 'auto' is local when runsc or bwrap works here, else simulated with a warning saying what to install "
              + "(scripts/install-runtimes.sh); 'kubernetes' serves the cluster's SandboxWarmPool/SandboxClaim objects (pools from the cluster, "
              + "not --pools-dir; see --kubeconfig, --watch-namespace).")
  String backend;

  @Option(
      names = "--state-dir",
      defaultValue = "${env:AGENT_SANDBOX_STATE_DIR:-}",
      description =
          "Local backend: directory for sandbox workspaces, bundles and runsc state; after a crash, the next start re-adopts the sandboxes that still answer (claims that got 201 stay bound) and destroys the rest "
              + "Kubernetes backend: keeps only the claim-token key there (env AGENT_SANDBOX_STATE_DIR; default $XDG_STATE_HOME/agent-sandbox, else ./.state).")
  Path stateDir;

  @Option(
      names = "--runtime-map",
      defaultValue = "${env:AGENT_SANDBOX_RUNTIME_MAP:-}",
      description =
          "Local backend: run runtime classes on a local runtime, class=gvisor|bwrap|none,... e.g. kata=gvisor; 'default' = unset class, "
              + "'kata' = any kata-* class, '*' = any other. Unmapped: gvisor -> runsc, unset/runc -> bwrap, others unavailable "
              + "(env AGENT_SANDBOX_RUNTIME_MAP).")
  String runtimeMap;

  @Option(
      names = "--runsc-path",
      defaultValue = "${env:AGENT_SANDBOX_RUNSC_PATH:-runsc}",
      description =
          "Local backend: the gVisor runsc binary (env AGENT_SANDBOX_RUNSC_PATH; default ${DEFAULT-VALUE}, from PATH).")
  String runscPath;

  @Option(
      names = "--bwrap-path",
      defaultValue = "${env:AGENT_SANDBOX_BWRAP_PATH:-bwrap}",
      description =
          "Local backend: the bubblewrap binary (env AGENT_SANDBOX_BWRAP_PATH; default ${DEFAULT-VALUE}, from PATH).")
  String bwrapPath;

  @Option(
      names = "--exec-output-limit-bytes",
      defaultValue = "${env:AGENT_SANDBOX_EXEC_OUTPUT_LIMIT_BYTES:-16777216}",
      description =
          "Local and kubernetes backends: bytes of stdout and of stderr kept per exec (and largest file download); more is cut and flagged "
              + "(env AGENT_SANDBOX_EXEC_OUTPUT_LIMIT_BYTES; default ${DEFAULT-VALUE}).")
  int execOutputLimitBytes;

  @Option(
      names = "--exec-workers",
      defaultValue = "${env:AGENT_SANDBOX_EXEC_WORKERS:-0}",
      description =
          "Local backend: execs running at once; 4x more may queue, then 503. Kubernetes backend: execs in flight (pods/exec streams), then 503 (env AGENT_SANDBOX_EXEC_WORKERS; default 4 x CPUs, at least 8).")
  int execWorkers;

  @Option(
      names = "--shards",
      defaultValue = "${env:AGENT_SANDBOX_SHARDS:-0}",
      description =
          "Claim shards, each owned by one event loop (env AGENT_SANDBOX_SHARDS; default: number of CPUs).")
  int shards;

  @Option(
      names = "--http-instances",
      defaultValue = "${env:AGENT_SANDBOX_HTTP_INSTANCES:-0}",
      description =
          "HTTP verticle instances (env AGENT_SANDBOX_HTTP_INSTANCES; default: number of CPUs).")
  int httpInstances;

  @Option(
      names = "--claim-queue-capacity",
      defaultValue = "${env:AGENT_SANDBOX_CLAIM_QUEUE_CAPACITY:-8192}",
      description =
          "Bound of each shard's claim queue; when full, claims get 503 + Retry-After at once (env AGENT_SANDBOX_CLAIM_QUEUE_CAPACITY; default ${DEFAULT-VALUE}).")
  int claimQueueCapacity;

  @Option(
      names = "--drain-limit",
      defaultValue = "${env:AGENT_SANDBOX_DRAIN_LIMIT:-256}",
      description =
          "Most claims a shard handles per event-loop turn (env AGENT_SANDBOX_DRAIN_LIMIT; default ${DEFAULT-VALUE}).")
  int drainLimit;

  @Option(
      names = "--tick-ms",
      defaultValue = "${env:AGENT_SANDBOX_TICK_MS:-10}",
      description =
          "Period of each shard's timer for deadlines and TTLs (env AGENT_SANDBOX_TICK_MS; default ${DEFAULT-VALUE}).")
  long tickMs;

  @Option(
      names = "--default-wait-ms",
      defaultValue = "${env:AGENT_SANDBOX_DEFAULT_WAIT_MS:-10000}",
      description =
          "How long a claim waits for a sandbox when it does not say (env AGENT_SANDBOX_DEFAULT_WAIT_MS; default ${DEFAULT-VALUE}).")
  long defaultWaitMs;

  @Option(
      names = "--max-wait-ms",
      defaultValue = "${env:AGENT_SANDBOX_MAX_WAIT_MS:-300000}",
      description =
          "Largest waitMs a claim may ask for (env AGENT_SANDBOX_MAX_WAIT_MS; default ${DEFAULT-VALUE}).")
  long maxWaitMs;

  @Option(
      names = "--default-ttl-seconds",
      defaultValue = "${env:AGENT_SANDBOX_DEFAULT_TTL_SECONDS:-3600}",
      description =
          "How long a claim holds its sandbox when it does not say; 0 = until released (env AGENT_SANDBOX_DEFAULT_TTL_SECONDS; default ${DEFAULT-VALUE}).")
  long defaultTtlSeconds;

  @Option(
      names = "--max-ttl-seconds",
      defaultValue = "${env:AGENT_SANDBOX_MAX_TTL_SECONDS:-604800}",
      description =
          "Largest ttlSeconds a claim may ask for (env AGENT_SANDBOX_MAX_TTL_SECONDS; default ${DEFAULT-VALUE}).")
  long maxTtlSeconds;

  @Option(
      names = "--max-claims-per-tenant",
      defaultValue = "${env:AGENT_SANDBOX_MAX_CLAIMS_PER_TENANT:-1000}",
      description =
          "Default cap of one tenant's concurrent claims per pool, 429 above it; a pool may set its own (env AGENT_SANDBOX_MAX_CLAIMS_PER_TENANT; default ${DEFAULT-VALUE}).")
  int maxClaimsPerTenant;

  @Option(
      names = "--readiness-grace-seconds",
      defaultValue = "${env:AGENT_SANDBOX_READINESS_GRACE_SECONDS:-300}",
      description =
          "Pool members not ready this long after creation are replaced (env AGENT_SANDBOX_READINESS_GRACE_SECONDS; default ${DEFAULT-VALUE}).")
  long readinessGraceSeconds;

  @Option(
      names = "--max-starting-per-pool",
      defaultValue = "${env:AGENT_SANDBOX_MAX_STARTING_PER_POOL:-512}",
      description =
          "Most sandboxes one pool starts at once (env AGENT_SANDBOX_MAX_STARTING_PER_POOL; default ${DEFAULT-VALUE}).")
  int maxStartingPerPool;

  @Option(
      names = "--queue-full-retry-after-ms",
      defaultValue = "${env:AGENT_SANDBOX_QUEUE_FULL_RETRY_AFTER_MS:-1000}",
      description =
          "Retry-After sent with 503 when a shard's queue is full (env AGENT_SANDBOX_QUEUE_FULL_RETRY_AFTER_MS; default ${DEFAULT-VALUE}).")
  long queueFullRetryAfterMs;

  @Option(
      names = "--max-admitted-wait-ms",
      defaultValue = "${env:AGENT_SANDBOX_MAX_ADMITTED_WAIT_MS:-2000}",
      description =
          "Admission bound: a claim may wait on an empty pool only while the claims ahead of it can be served by the pool's starting sandboxes plus what it creates in this time; else 503 overloaded + Retry-After at once; 0 = only the caps (env AGENT_SANDBOX_MAX_ADMITTED_WAIT_MS; default ${DEFAULT-VALUE}).")
  long maxAdmittedWaitMs;

  @Option(
      names = "--max-waiting-per-pool",
      defaultValue = "${env:AGENT_SANDBOX_MAX_WAITING_PER_POOL:-10000}",
      description =
          "Most claims waiting in one pool; 503 overloaded above (env AGENT_SANDBOX_MAX_WAITING_PER_POOL; default ${DEFAULT-VALUE}).")
  int maxWaitingPerPool;

  @Option(
      names = "--max-waiting-per-shard",
      defaultValue = "${env:AGENT_SANDBOX_MAX_WAITING_PER_SHARD:-50000}",
      description =
          "Most claims waiting over one shard's pools; 503 overloaded above (env AGENT_SANDBOX_MAX_WAITING_PER_SHARD; default ${DEFAULT-VALUE}).")
  int maxWaitingPerShard;

  @Option(
      names = "--max-body-bytes",
      defaultValue = "${env:AGENT_SANDBOX_MAX_BODY_BYTES:-65536}",
      description =
          "Largest request body; larger gets 413 (env AGENT_SANDBOX_MAX_BODY_BYTES; default ${DEFAULT-VALUE}).")
  int maxBodyBytes;

  @Option(
      names = "--simulated-latency",
      defaultValue =
          "${env:AGENT_SANDBOX_SIMULATED_LATENCY:-"
              + SchedulerConfig.DEFAULT_SIMULATED_LATENCY
              + "}",
      description =
          "Simulated backend: median start latency per runtime class in ms, 'default' = unset class, '*' = any other (env AGENT_SANDBOX_SIMULATED_LATENCY; default ${DEFAULT-VALUE}).")
  String simulatedLatency;

  @Option(
      names = "--simulated-failure-rate",
      defaultValue = "${env:AGENT_SANDBOX_SIMULATED_FAILURE_RATE:-0}",
      description =
          "Simulated backend: fraction of starts that fail, 0..1 (env AGENT_SANDBOX_SIMULATED_FAILURE_RATE; default ${DEFAULT-VALUE}).")
  double simulatedFailureRate;

  @Option(
      names = "--create-concurrency",
      defaultValue =
          "${env:AGENT_SANDBOX_CREATE_CONCURRENCY:-"
              + SchedulerConfig.DEFAULT_CREATE_CONCURRENCY
              + "}",
      description =
          "Most sandboxes of a runtime class starting at once, shared fairly by its pools (env AGENT_SANDBOX_CREATE_CONCURRENCY; default ${DEFAULT-VALUE}).")
  String createConcurrency;

  @Option(
      names = "--create-rate",
      defaultValue =
          "${env:AGENT_SANDBOX_CREATE_RATE:-" + SchedulerConfig.DEFAULT_CREATE_RATE + "}",
      description =
          "Most creates per second of a runtime class, over all its pools (env AGENT_SANDBOX_CREATE_RATE; default ${DEFAULT-VALUE}).")
  String createRate;

  @Option(
      names = "--lead-time-seed",
      defaultValue =
          "${env:AGENT_SANDBOX_LEAD_TIME_SEED:-" + SchedulerConfig.DEFAULT_LEAD_TIME_SEED + "}",
      description =
          "Autoscaled pools: create-to-ready time in ms assumed per runtime class until observed (env AGENT_SANDBOX_LEAD_TIME_SEED; default ${DEFAULT-VALUE}).")
  String leadTimeSeed;

  @Option(
      names = "--kubeconfig",
      defaultValue = "${env:AGENT_SANDBOX_KUBECONFIG:-}",
      description =
          "Kubernetes backend: kubeconfig file (env AGENT_SANDBOX_KUBECONFIG; default: in-cluster service account, then $KUBECONFIG / ~/.kube/config).")
  String kubeconfig;

  @Option(
      names = "--watch-namespace",
      defaultValue = "${env:AGENT_SANDBOX_WATCH_NAMESPACE:-}",
      description =
          "Kubernetes backend: the one namespace whose pools, claims and sandboxes are served (env AGENT_SANDBOX_WATCH_NAMESPACE; default: all).")
  String watchNamespace;

  @Option(
      names = "--leader-election",
      defaultValue = "${env:AGENT_SANDBOX_LEADER_ELECTION:-false}",
      arity = "0..1",
      description =
          "Kubernetes backend: only the holder of a coordination.k8s.io Lease serves; other replicas stand by, not ready "
              + "(env AGENT_SANDBOX_LEADER_ELECTION; default ${DEFAULT-VALUE}).")
  boolean leaderElection;

  @Option(
      names = "--lease-name",
      defaultValue = "${env:AGENT_SANDBOX_LEASE_NAME:-agent-sandbox-leader}",
      description =
          "Kubernetes backend: the leader-election Lease (env AGENT_SANDBOX_LEASE_NAME; default ${DEFAULT-VALUE}).")
  String leaseName;

  @Option(
      names = "--lease-namespace",
      defaultValue = "${env:AGENT_SANDBOX_LEASE_NAMESPACE:-}",
      description =
          "Kubernetes backend: namespace of the Lease (env AGENT_SANDBOX_LEASE_NAMESPACE; default: the pod's namespace, else 'default'). "
              + "The replica's identity is env POD_NAME, else the host name.")
  String leaseNamespace;

  /** The validated Kubernetes-backend configuration these flags describe. */
  io.agentsandbox.k8s.backend.KubernetesBackendConfig toKubernetesConfig() {
    return new io.agentsandbox.k8s.backend.KubernetesBackendConfig(
            kubeconfig == null || kubeconfig.isBlank() ? null : Path.of(kubeconfig),
            watchNamespace,
            leaderElection,
            leaseName,
            leaseNamespace,
            null)
        .validate();
  }

  /**
   * Parses flags (and the environment) into a validated Kubernetes-backend configuration.
   *
   * @throws IllegalArgumentException naming the flag at fault
   */
  public static io.agentsandbox.k8s.backend.KubernetesBackendConfig parseKubernetesConfig(
      String... args) {
    Main main = new Main();
    try {
      new CommandLine(main).parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return main.toKubernetesConfig();
  }

  // ---------------------------------------------------------------- security (issue 7): API auth,
  // TLS, slow clients

  @Option(
      names = "--auth",
      defaultValue = "${env:AGENT_SANDBOX_AUTH:-}",
      description =
          "API authentication: 'token' (every /v1 call needs Authorization: Bearer <API token>; the token names the tenant), "
              + "'tokenreview' (--backend kubernetes: the token is checked with a Kubernetes TokenReview; the tenant is the user's group "
              + "agent-sandbox:tenant:<name>, else its username), 'tokenreview,token' (the tokens file first, then TokenReview) or 'none' "
              + "(anyone reaching the port may claim as any tenant; a warning at start-up) (env AGENT_SANDBOX_AUTH; default: token when --api-tokens-file is given, else none).")
  String auth;

  @Option(
      names = "--api-tokens-file",
      defaultValue = "${env:AGENT_SANDBOX_API_TOKENS_FILE:-}",
      description =
          "API tokens, one 'token [tenant]' per line (a bare token is tenant 'default'; # comments); re-read when it changes, "
              + "no restart (env AGENT_SANDBOX_API_TOKENS_FILE).")
  Path apiTokensFile;

  @Option(
      names = "--tls-cert",
      defaultValue = "${env:AGENT_SANDBOX_TLS_CERT:-}",
      description =
          "PEM certificate chain: serve HTTPS; re-read when it changes (env AGENT_SANDBOX_TLS_CERT; needs --tls-key).")
  Path tlsCert;

  @Option(
      names = "--tls-key",
      defaultValue = "${env:AGENT_SANDBOX_TLS_KEY:-}",
      description = "PEM private key of --tls-cert (env AGENT_SANDBOX_TLS_KEY).")
  Path tlsKey;

  @Option(
      names = "--security-reload-ms",
      defaultValue = "${env:AGENT_SANDBOX_SECURITY_RELOAD_MS:-2000}",
      description =
          "How often the tokens file and TLS files are checked for changes (env AGENT_SANDBOX_SECURITY_RELOAD_MS; default ${DEFAULT-VALUE}).")
  long securityReloadMs;

  @Option(
      names = "--idle-timeout-seconds",
      defaultValue = "${env:AGENT_SANDBOX_IDLE_TIMEOUT_SECONDS:-60}",
      description =
          "Connections without a complete request or answer this long are closed; a request head trickled byte by byte is cut then (env AGENT_SANDBOX_IDLE_TIMEOUT_SECONDS; default ${DEFAULT-VALUE}).")
  int idleTimeoutSeconds;

  @Option(
      names = "--request-read-timeout-ms",
      defaultValue = "${env:AGENT_SANDBOX_REQUEST_READ_TIMEOUT_MS:-10000}",
      description =
          "A request whose body has not arrived this long after its head gets 408 and its connection is closed: "
              + "slow (trickling) uploads are cut off (env AGENT_SANDBOX_REQUEST_READ_TIMEOUT_MS; default ${DEFAULT-VALUE}).")
  long requestReadTimeoutMs;

  /** The validated security configuration these flags describe. */
  SecurityConfig toSecurityConfig() {
    Path tokens = emptyToNull(apiTokensFile);
    String mode =
        auth == null || auth.isBlank() ? (tokens != null ? "token" : "none") : auth.trim();
    return new SecurityConfig(
            mode,
            tokens,
            emptyToNull(tlsCert),
            emptyToNull(tlsKey),
            securityReloadMs,
            idleTimeoutSeconds,
            requestReadTimeoutMs)
        .validate();
  }

  private static Path emptyToNull(Path p) {
    return p == null || p.toString().isEmpty() ? null : p;
  }

  /**
   * Parses flags (and the environment) into a validated security configuration.
   *
   * @throws IllegalArgumentException naming the flag at fault
   */
  public static SecurityConfig parseSecurityConfig(String... args) {
    Main main = new Main();
    try {
      new CommandLine(main).parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return main.toSecurityConfig();
  }

  /** The validated configuration these flags describe. */
  SchedulerConfig toConfig() {
    int cpus = Math.max(1, Runtime.getRuntime().availableProcessors());
    return new SchedulerConfig(
            host,
            port,
            poolsDir,
            backend,
            shards == 0 ? cpus : shards,
            httpInstances == 0 ? cpus : httpInstances,
            claimQueueCapacity,
            drainLimit,
            tickMs,
            defaultWaitMs,
            maxWaitMs,
            defaultTtlSeconds,
            maxTtlSeconds,
            maxClaimsPerTenant,
            readinessGraceSeconds,
            maxStartingPerPool,
            queueFullRetryAfterMs,
            maxBodyBytes,
            SchedulerConfig.parseLatencies(simulatedLatency),
            simulatedFailureRate,
            SchedulerConfig.parseClassMap("--create-concurrency", createConcurrency),
            SchedulerConfig.parseClassMap("--create-rate", createRate),
            SchedulerConfig.parseClassMap("--lead-time-seed", leadTimeSeed),
            maxAdmittedWaitMs,
            maxWaitingPerPool,
            maxWaitingPerShard)
        .validate();
  }

  /** The validated local-backend configuration these flags describe. */
  LocalBackendConfig toLocalConfig() {
    LocalBackendConfig d = LocalBackendConfig.defaults();
    return new LocalBackendConfig(
            stateDir == null || stateDir.toString().isEmpty() ? d.stateDir() : stateDir,
            runscPath,
            bwrapPath,
            LocalBackendConfig.parseRuntimeMap(runtimeMap),
            execOutputLimitBytes,
            execWorkers == 0 ? d.execWorkers() : execWorkers,
            d.lifecycleWorkers(),
            d.readyTimeoutMs())
        .validate();
  }

  /**
   * Parses flags (and the environment) into a validated local-backend configuration.
   *
   * @throws IllegalArgumentException naming the flag at fault
   */
  public static LocalBackendConfig parseLocalConfig(String... args) {
    Main main = new Main();
    try {
      new CommandLine(main).parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return main.toLocalConfig();
  }

  /**
   * Parses flags (and the environment) into a validated configuration.
   *
   * @throws IllegalArgumentException naming the flag at fault
   */
  public static SchedulerConfig parseConfig(String... args) {
    Main main = new Main();
    try {
      new CommandLine(main).parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return main.toConfig();
  }

  @Override
  public Integer call() throws Exception {
    SchedulerConfig config;
    LocalBackendConfig localConfig;
    SecurityConfig security;
    io.agentsandbox.k8s.backend.KubernetesBackendConfig kubeConfig;
    try {
      config = toConfig();
      kubeConfig = toKubernetesConfig();
      localConfig = toLocalConfig();
      security = toSecurityConfig();
    } catch (IllegalArgumentException e) {
      System.err.println("invalid configuration: " + e.getMessage());
      return 2;
    }
    SchedulerServer server;
    try {
      server =
          SchedulerServer.start(config, localConfig, security, kubeConfig)
              .toCompletionStage()
              .toCompletableFuture()
              .get();
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable cause = e.getCause();
      System.err.println(
          "start-up failed: " + (cause.getMessage() == null ? cause : cause.getMessage()));
      LOG.debug("start-up failure", cause);
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  LOG.info("shutting down");
                  try {
                    server
                        .close()
                        .toCompletionStage()
                        .toCompletableFuture()
                        .get(10, java.util.concurrent.TimeUnit.SECONDS);
                  } catch (Exception e) {
                    LOG.warn("shutdown did not finish cleanly: {}", e.toString());
                  }
                  stopped.countDown();
                },
                "shutdown"));
    server
        .fatalError()
        .thenAccept(
            cause -> {
              // Stop at once, without the shutdown hook: another replica may already serve.
              LOG.error("fatal: {}; exiting", cause.getMessage(), cause);
              Runtime.getRuntime().halt(1);
            });
    stopped.await();
    return 0;
  }

  public static void main(String[] args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setParameterExceptionHandler(
        (ex, a) -> {
          System.err.println(ex.getMessage());
          System.err.println("Run with --help for the options.");
          return 2;
        });
    int rc = cli.execute(args);
    if (rc != 0) System.exit(rc);
  }
}
