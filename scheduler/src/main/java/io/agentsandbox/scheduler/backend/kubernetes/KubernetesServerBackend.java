package io.agentsandbox.scheduler.backend.kubernetes;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.model.RecoveredSandbox;
import io.agentsandbox.core.port.BindingStore;
import io.agentsandbox.core.port.PoolCatalogListener;
import io.agentsandbox.core.port.SandboxExecutor;
import io.agentsandbox.core.port.SandboxProvisioner;
import io.agentsandbox.core.port.TokenVerifier;
import io.agentsandbox.k8s.agent.AgentInjection;
import io.agentsandbox.k8s.agent.AgentSecrets;
import io.agentsandbox.k8s.auth.TokenReviewVerifier;
import io.agentsandbox.k8s.backend.KubernetesBackend;
import io.agentsandbox.k8s.backend.KubernetesBackendConfig;
import io.agentsandbox.k8s.exec.ExecWarmUpProvisioner;
import io.agentsandbox.k8s.exec.PodExecExecutor;
import io.agentsandbox.k8s.lease.LeaderElection;
import io.agentsandbox.scheduler.backend.Backend;
import io.agentsandbox.scheduler.dataplane.AgentFirstExecutor;
import io.agentsandbox.scheduler.http.ClaimTokens;
import io.agentsandbox.scheduler.pools.PoolCatalog;
import io.agentsandbox.scheduler.shard.ShardGroup;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --backend kubernetes}: sandboxes are Pods, pools and claims are the cluster's
 * SandboxWarmPool and SandboxClaim objects ({@link KubernetesBackend}), exec and files go through
 * {@code pods/exec} ({@link PodExecExecutor}). With leader election only the Lease holder serves;
 * losing the Lease is fatal. Used by the starting thread; {@link #close} from any one thread.
 */
public final class KubernetesServerBackend implements Backend {

  private static final Logger LOG = LoggerFactory.getLogger(KubernetesServerBackend.class);

  /**
   * Deadline of the warm-up exec into a new sandbox; it is offered to claims at the latest then.
   */
  static final long EXEC_WARM_UP_TIMEOUT_MS = 10_000;

  /** Exec sizes: bytes kept per stream and execs in flight (the local backend's flags). */
  public record ExecLimits(int outputLimitBytes, int inFlight) {}

  private final Vertx vertx;
  private final KubernetesBackendConfig config;
  private final KubernetesBackend kube;
  private final PodExecExecutor podExec;
  private final AgentFirstExecutor executor;
  private final SandboxProvisioner provisioner;
  private final Path stateDir;
  private ClaimTokens tokens;
  private TokenReviewVerifier verifier;
  private volatile LeaderElection election;
  private volatile boolean closing;

  private KubernetesServerBackend(
      Vertx vertx,
      KubernetesBackendConfig config,
      KubernetesBackend kube,
      PodExecExecutor podExec,
      ExecLimits exec,
      Path stateDir) {
    this.vertx = vertx;
    this.config = config;
    this.kube = kube;
    this.podExec = podExec;
    // Exec and files go to the pod's agent when it has one (from the pod cache), else pods/exec.
    this.executor =
        new AgentFirstExecutor(
            kube.agentLocator(), podExec, exec.inFlight(), exec.outputLimitBytes());
    this.stateDir = stateDir;
    // One no-op exec into each new sandbox before it is offered: claimers skip the runtime's
    // first-exec cost.
    this.provisioner =
        execWarmUp()
            ? new ExecWarmUpProvisioner(kube.provisioner(), podExec, EXEC_WARM_UP_TIMEOUT_MS)
            : kube.provisioner();
  }

  /**
   * Connects to the API server (nothing is watched until {@link #start}).
   *
   * @param stateDir where the claim-token key is kept
   * @throws IllegalStateException when the kubeconfig cannot be read
   */
  public static KubernetesServerBackend open(
      Vertx vertx,
      KubernetesBackendConfig config,
      long defaultWaitMs,
      long maxWaitMs,
      ExecLimits exec,
      Path stateDir) {
    io.fabric8.kubernetes.client.Config fabric8;
    try {
      fabric8 =
          config.kubeconfig() == null
              ? io.fabric8.kubernetes.client.Config.autoConfigure(null)
              : io.fabric8.kubernetes.client.Config.fromKubeconfig(
                  Files.readString(config.kubeconfig()));
    } catch (IOException e) {
      throw new IllegalStateException(
          "--kubeconfig: cannot read " + config.kubeconfig() + ": " + e.getMessage(), e);
    }
    LOG.info(
        "backend: kubernetes, API server {}, namespace {}",
        fabric8.getMasterUrl(),
        config.watchNamespace() == null ? "<all>" : config.watchNamespace());
    KubernetesBackend.Options d = KubernetesBackend.Options.defaults();
    AgentInjection.Options agent = agentOptions(config, stateDir);
    LOG.info("in-sandbox agent: {}", agent);
    KubernetesBackend kube =
        new KubernetesBackend(
            fabric8,
            new KubernetesBackend.Options(
                    config.watchNamespace(), d.ioThreads(), defaultWaitMs, maxWaitMs)
                .withAgent(agent));
    PodExecExecutor podExec =
        new PodExecExecutor(
            kube.client(),
            new PodExecExecutor.Options(
                exec.outputLimitBytes(), exec.inFlight(), Math.min(8, exec.inFlight())));
    return new KubernetesServerBackend(vertx, config, kube, podExec, exec, stateDir);
  }

  /**
   * The agent's injection settings: the key from {@code --agent-key-file}, else {@code agent.key}
   * in the state directory (drawn once, mode 0600). Blocking file I/O: start-up only.
   */
  static AgentInjection.Options agentOptions(KubernetesBackendConfig config, Path stateDir) {
    Path file = config.agentKeyFile();
    if (file == null) {
      file = stateDir.resolve("agent.key");
      try {
        Files.createDirectories(stateDir);
      } catch (IOException e) {
        throw new IllegalStateException("cannot create the state dir " + stateDir, e);
      }
    }
    byte[] key = ClaimTokens.persistentKey(file, "agent key", AgentSecrets.MIN_KEY_BYTES, false);
    AgentInjection.Options o =
        AgentInjection.Options.enabled(key).withByDefault(config.agentByDefault());
    return config.agentImage() == null ? o : o.withImage(config.agentImage());
  }

  /** Where the in-sandbox agents of this backend's pods listen (from the pod cache). */
  @Override
  public io.agentsandbox.core.port.AgentLocator agentLocator() {
    return kube.agentLocator();
  }

  /**
   * Whether each new sandbox gets one no-op exec before it is offered ({@code
   * AGENT_SANDBOX_EXEC_WARM_UP=true} or {@code -Dagentsandbox.execWarmUp=true}). Off by default: on
   * the real node it did not shorten warm claim → first exec and made cold claims wait for it
   * (benchmarks/RESULTS.md, "Real node").
   */
  static boolean execWarmUp() {
    String v =
        System.getProperty("agentsandbox.execWarmUp", System.getenv("AGENT_SANDBOX_EXEC_WARM_UP"));
    return v != null && v.trim().equalsIgnoreCase("true");
  }

  /** The adapter itself (API write counters and bind times for tests and benchmarks). */
  public KubernetesBackend kubernetes() {
    return kube;
  }

  @Override
  public SandboxProvisioner provisioner() {
    return provisioner;
  }

  @Override
  public void registerMeters(io.micrometer.core.instrument.MeterRegistry registry) {
    kube.setMetrics(new KubernetesMeters(registry, kube));
  }

  @Override
  public BindingStore bindingStore() {
    return kube.bindingStore();
  }

  @Override
  public SandboxExecutor executor() {
    return executor;
  }

  /**
   * The key is kept in the state dir (as the local backend keeps it), so tokens of claims bound
   * before a restart of this process still open exec and files; a replica elsewhere (another pod)
   * has its own key. Per-process key when the dir is not writable.
   */
  @Override
  public ClaimTokens claimTokens() {
    if (tokens != null) return tokens;
    try {
      Files.createDirectories(stateDir);
      tokens = ClaimTokens.persistent(stateDir.resolve("claim-token.key"));
    } catch (IOException | RuntimeException e) {
      LOG.warn(
          "claim tokens: cannot keep the key in {} ({}); using a per-process key:"
              + " tokens will not survive a restart",
          stateDir,
          e.getMessage());
      tokens = ClaimTokens.random();
    }
    return tokens;
  }

  @Override
  public TokenVerifier tokenVerifier() {
    if (verifier == null) verifier = new TokenReviewVerifier(kube.client());
    return verifier;
  }

  @Override
  public void start(ShardGroup shards, PoolCatalog catalog, Events events) {
    PoolCatalogListener pools = poolListener(shards, catalog);
    if (config.leaderElection()) {
      // Stand by (not ready) until this replica holds the Lease; then recover and serve.
      election =
          new LeaderElection(
              kube.client(),
              config,
              () ->
                  new Thread(() -> lead(shards, pools, events), "kubernetes-backend-start").start(),
              () -> {
                if (closing) return;
                // Another replica may already bind claims: stop at once rather than risk double
                // binding.
                events.fatal(
                    new IllegalStateException(
                        "lost the Lease "
                            + config.leaseNamespace()
                            + "/"
                            + config.leaseName()
                            + "; exiting so the new leader alone serves"));
              });
    } else {
      // Pools and SandboxClaims come from the cluster: recovery from the informer caches, then
      // declarations.
      try {
        kube.start(shards.submitter(), pools);
      } catch (RuntimeException e) {
        throw new IllegalStateException("--backend kubernetes: cannot start: " + e.getMessage(), e);
      }
      events.serving();
    }
    vertx.setPeriodic(1_000, id -> writePoolStatus(shards));
  }

  private void lead(ShardGroup shards, PoolCatalogListener pools, Events events) {
    try {
      kube.start(shards.submitter(), pools);
      // ready once the shards hold the recovered pools and claims (a GET of a claim made before a
      // restart must not answer 404 because its pool's declaration is still in a shard's queue)
      shards.barrier().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      LOG.info("leading: serving pools and claims");
      events.serving();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException
        | java.util.concurrent.ExecutionException
        | java.util.concurrent.TimeoutException e) {
      if (!closing) {
        events.fatal(
            new IllegalStateException(
                "--backend kubernetes: cannot start after winning the election: " + e, e));
      }
    }
  }

  /** SandboxWarmPool declarations → the catalog (claims by template) and the owning shard. */
  private static PoolCatalogListener poolListener(ShardGroup shards, PoolCatalog catalog) {
    return new PoolCatalogListener() {
      @Override
      public void declare(PoolSpec spec, List<RecoveredSandbox> recovered) {
        catalog.put(spec);
        shards.declare(spec, recovered);
      }

      @Override
      public void remove(PoolKey pool) {
        catalog.remove(pool);
        shards.remove(pool);
      }
    };
  }

  /** Each pool's replicas / readyReplicas into its SandboxWarmPool status (written on change). */
  private void writePoolStatus(ShardGroup shards) {
    shards.forEachPool(
        p ->
            kube.writePoolStatus(
                p.spec().key(),
                p.ready() + p.starting(),
                p.ready(),
                p.spec().runtimeClass().name()));
  }

  @Override
  public void close() {
    closing = true;
    executor.close();
    podExec.close();
    if (verifier != null) verifier.close();
    // every writer of this replica stops before the Lease is released (the client stays open for
    // the release): a standby never starts while this replica still writes
    kube.quiesce();
    LeaderElection e = election;
    if (e != null) e.close();
    kube.close();
  }
}
