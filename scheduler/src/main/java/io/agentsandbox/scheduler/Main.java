package io.agentsandbox.scheduler;

import io.agentsandbox.k8s.backend.KubernetesBackendConfig;
import io.agentsandbox.scheduler.backend.local.LocalBackendConfig;
import io.agentsandbox.scheduler.cli.EnvDefaults;
import io.agentsandbox.scheduler.cli.KubernetesOptions;
import io.agentsandbox.scheduler.cli.LimitOptions;
import io.agentsandbox.scheduler.cli.LocalBackendOptions;
import io.agentsandbox.scheduler.cli.LogOptions;
import io.agentsandbox.scheduler.cli.PoolOptions;
import io.agentsandbox.scheduler.cli.SecurityOptions;
import io.agentsandbox.scheduler.cli.ServerOptions;
import io.agentsandbox.scheduler.logging.LogSetup;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * The server's entry point: parses flags and environment into a {@link ServerContext}, starts the
 * server, and exits when it is stopped (SIGTERM) or reports a fatal error.
 */
@Command(
    name = "agent-sandbox-server",
    mixinStandardHelpOptions = true,
    version = "agent-sandbox-server 0.1.0",
    sortOptions = false,
    showDefaultValues = true,
    customSynopsis = "agent-sandbox-server [OPTIONS]",
    usageHelpAutoWidth = true,
    defaultValueProvider = EnvDefaults.class,
    description = {
      "Hands out pre-started, isolated sandboxes to AI agents from warm pools, over an HTTP"
          + " claim API.",
      "Pools are SandboxTemplate + SandboxWarmPool YAML (extensions.agents.x-k8s.io/v1beta1)"
          + " read from --pools-dir.",
      ""
    },
    footer = {
      "",
      "Every option --foo-bar can also be set by the environment variable",
      "AGENT_SANDBOX_FOO_BAR; the flag wins.",
      "",
      "Backends (--backend):",
      "  local       real sandboxes on this host: gVisor (runsc) for runtime class",
      "              gvisor, bubblewrap (bwrap) for unset/runc; --runtime-map maps",
      "              others ('default' = unset class, 'kata' = any kata-* class,",
      "              '*' = any other). After a crash the next start keeps the",
      "              sandboxes that still answer (claims that got 201 stay bound)",
      "              and destroys the rest.",
      "  simulated   no real sandbox: each becomes ready after a latency drawn",
      "              per runtime class (--simulated-latency).",
      "  auto        local when runsc or bwrap works here, else simulated with a",
      "              warning (scripts/install-runtimes.sh installs them).",
      "  kubernetes  serves the cluster's SandboxWarmPool/SandboxClaim objects",
      "              (pools from the cluster, not --pools-dir). With",
      "              --leader-election the replica's identity in the Lease is",
      "              env POD_NAME, else the host name.",
      "",
      "Authentication (--auth):",
      "  token              every /v1 call needs 'Authorization: Bearer <token>'",
      "                     with a token of --api-tokens-file, which names the",
      "                     tenant (a bare token is tenant 'default').",
      "  tokenreview        --backend kubernetes: a TokenReview checks the token;",
      "                     the tenant is the user's group",
      "                     agent-sandbox:tenant:<name>, else its username.",
      "  tokenreview,token  the tokens file first, then TokenReview.",
      "  none               anyone reaching the port may claim as any tenant.",
      "",
      "Logs (--log-format, --log-level, --log-rate-limit): one line per claim decision",
      "on logger io.agentsandbox.claims (alias claims), sandbox lifecycle on",
      "io.agentsandbox.sandboxes, the audit trail (refused calls, exec, file writes,",
      "token reloads) on io.agentsandbox.audit, API write conflicts on",
      "io.agentsandbox.conflicts. Example: --log-format json --log-level INFO,claims=WARN",
      "",
      "Runtime-class maps (--create-concurrency, --create-rate, --lead-time-seed,",
      "--simulated-latency) are class=number,...: 'default' = unset class,",
      "'kata' = any Kata class, '*' = any other.",
      "",
      "Example: claim a sandbox from the example gVisor pool, run a command in it,",
      "then release it:",
      "  curl -s -XPOST localhost:8080/v1/claims \\",
      "       -H 'content-type: application/json' -d '{\"pool\":\"python-gvisor\"}'",
      "  curl -s -XPOST localhost:8080/v1/sandboxes/<sandbox>/exec \\",
      "       -H 'authorization: Bearer <claim token>' \\",
      "       -H 'content-type: application/json' \\",
      "       -d '{\"command\":[\"python3\",\"-c\",\"print(1+1)\"]}'",
      "  curl -s -XDELETE localhost:8080/v1/claims/<claimId>",
      "API reference: GET /openapi.yaml on the running server."
    })
public final class Main implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  @Mixin ServerOptions server;
  @Mixin PoolOptions pools;
  @Mixin LimitOptions limits;
  @Mixin LocalBackendOptions local;
  @Mixin KubernetesOptions kubernetes;
  @Mixin SecurityOptions security;
  @Mixin LogOptions logging;

  /** The configuration these flags describe, not yet concluded. */
  ServerContext toContext() {
    return new ServerContext(server.toConfig(pools, limits))
        .local(local.toConfig())
        .security(security.toConfig())
        .kubernetes(kubernetes.toConfig());
  }

  /**
   * Parses flags (and the environment) and returns one validated part of the configuration.
   *
   * @throws IllegalArgumentException naming the flag at fault
   */
  private static <T> T parse(String[] args, Function<Main, T> part) {
    Main main = new Main();
    try {
      new CommandLine(main).parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return part.apply(main);
  }

  /** Parses flags (and the environment) into a concluded context. */
  public static ServerContext parseContext(String... args) {
    return parse(args, m -> m.toContext().conclude());
  }

  /** Parses flags (and the environment) into a validated server configuration. */
  public static SchedulerConfig parseConfig(String... args) {
    return parse(args, m -> m.server.toConfig(m.pools, m.limits).validate());
  }

  /** Parses flags (and the environment) into a validated local-backend configuration. */
  public static LocalBackendConfig parseLocalConfig(String... args) {
    return parse(args, m -> m.local.toConfig().validate());
  }

  /** Parses flags (and the environment) into a validated security configuration. */
  public static SecurityConfig parseSecurityConfig(String... args) {
    return parse(args, m -> m.security.toConfig().validate());
  }

  /** Parses flags (and the environment) into a validated Kubernetes-backend configuration. */
  public static KubernetesBackendConfig parseKubernetesConfig(String... args) {
    return parse(args, m -> m.kubernetes.toConfig().validate());
  }

  @Override
  public Integer call() throws Exception {
    ServerContext context;
    try {
      logging.apply();
      context = toContext().conclude();
    } catch (IllegalArgumentException e) {
      System.err.println("invalid configuration: " + e.getMessage());
      return 2;
    }
    SchedulerServer started;
    try {
      started = SchedulerServer.start(context).toCompletionStage().toCompletableFuture().get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      System.err.println(
          "start-up failed: " + (cause.getMessage() == null ? cause : cause.getMessage()));
      LOG.debug("start-up failure", cause);
      LogSetup.flush();
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(started, stopped), "shutdown"));
    started
        .fatalError()
        .thenAccept(
            cause -> {
              // Stop at once, without the shutdown hook: another replica may already serve.
              LOG.error("fatal: {}; exiting", cause.getMessage(), cause);
              LogSetup.flush();
              Runtime.getRuntime().halt(1);
            });
    stopped.await();
    return 0;
  }

  private static void stop(SchedulerServer server, CountDownLatch stopped) {
    LOG.info("shutting down");
    try {
      server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("shutdown did not finish cleanly: {}", e.toString());
    }
    LOG.info("stopped");
    LogSetup.flush();
    stopped.countDown();
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
