package io.agentsandbox.k8s.exec;

import io.agentsandbox.core.internal.DaemonThreads;
import io.agentsandbox.core.model.ExecRequest;
import io.agentsandbox.core.model.ExecResult;
import io.agentsandbox.core.model.SandboxRef;
import io.agentsandbox.core.port.SandboxExecutor;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * Runs commands in a sandbox's pod through the API server's {@code pods/exec} subresource
 * (fabric8's exec websocket), with the local backend's semantics: command array, stdin, env,
 * working directory, timeout (the command is killed; {@code exitCode} 137 and {@code timedOut}),
 * output capped per stream, exit code.
 *
 * <p>Which pod and container: the pod is named after the sandbox, in its pool's namespace
 * (SandboxResources); the container is the one named by the pod's {@code
 * kubectl.kubernetes.io/default-container} annotation, else the pod's first container.
 *
 * <p>How the command runs: the API's exec takes only argv (no env, no cwd, and with the v4 stream
 * protocol of this API server no way to close stdin), so every command is wrapped in {@link
 * ExecCommand#WRAPPER}, run by the image's {@code /bin/sh}: it enters the working directory ({@code
 * /workspace} is created when it is the default and missing; else exit 125 as on the local
 * backend), exports the request's env, feeds the command exactly the request's stdin bytes ({@code
 * head -c N}, so the command sees EOF) and, when the image has {@code timeout}, kills it in the
 * container shortly after its deadline. The server-side timer ends the call at the deadline itself;
 * the in-container {@code timeout} only makes sure nothing outlives it (closing an exec stream does
 * not kill the process). Images therefore need {@code /bin/sh}; {@code head} (for stdin) and {@code
 * timeout} (for the reaper) are used when present. busybox has all three.
 *
 * <p>Threads: thread-safe. {@link #exec} returns at once; the pod read and the websocket upgrade
 * (both blocking in fabric8) run on the bounded {@code k8s-exec-<n>} pool; output arrives on
 * fabric8's websocket threads; deadlines fire on {@code k8s-exec-timer}; the returned stage
 * completes on one of those. At most {@link Options#maxConcurrent} execs are in flight; beyond, the
 * stage fails at once with {@link ExecException.Kind#BUSY}.
 */
public final class PodExecExecutor implements SandboxExecutor.Streaming, AutoCloseable {

  /** Pod annotation naming the container {@code kubectl exec} uses by default. */
  public static final String DEFAULT_CONTAINER_ANNOTATION =
      "kubectl.kubernetes.io/default-container";

  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  /**
   * Settings.
   *
   * @param outputLimitBytes bytes of stdout and of stderr kept per exec (more sets the truncated
   *     flag)
   * @param maxConcurrent execs in flight at once (connecting or running); more fail with BUSY
   * @param connectThreads threads that read the pod and open the exec stream (blocking in fabric8)
   */
  public record Options(int outputLimitBytes, int maxConcurrent, int connectThreads) {
    public Options {
      if (outputLimitBytes < 1)
        throw new IllegalArgumentException("outputLimitBytes must be >= 1: " + outputLimitBytes);
      if (maxConcurrent < 1)
        throw new IllegalArgumentException("maxConcurrent must be >= 1: " + maxConcurrent);
      if (connectThreads < 1)
        throw new IllegalArgumentException("connectThreads must be >= 1: " + connectThreads);
    }

    public static Options defaults() {
      return new Options(1 << 20, 256, 4);
    }
  }

  private final KubernetesClient client;
  private final Options options;
  private final ThreadPoolExecutor connect;
  private final ScheduledThreadPoolExecutor timer;
  private final AtomicInteger inFlight = new AtomicInteger();

  /** Execs not completed yet, so that {@link #close} can answer them. */
  private final java.util.Set<PodExec> live = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private volatile boolean closed;

  public PodExecExecutor(KubernetesClient client, Options options) {
    this.client = Objects.requireNonNull(client, "client");
    this.options = Objects.requireNonNull(options, "options");
    this.connect =
        DaemonThreads.fixedPool(options.connectThreads(), options.maxConcurrent(), "k8s-exec-");
    this.connect.allowCoreThreadTimeOut(true);
    this.timer = new ScheduledThreadPoolExecutor(1, DaemonThreads.named("k8s-exec-timer"));
    this.timer.setRemoveOnCancelPolicy(true);
  }

  @Override
  public CompletionStage<ExecResult> execStreaming(
      SandboxRef sandbox, ExecRequest request, OutputListener listener) {
    for (String name : request.env().keySet()) {
      if (!ENV_NAME.matcher(name).matches()) {
        return CompletableFuture.failedFuture(
            new IllegalArgumentException(
                "env: variable name must match [A-Za-z_][A-Za-z0-9_]*: " + name));
      }
    }
    if (inFlight.incrementAndGet() > options.maxConcurrent()) {
      inFlight.decrementAndGet();
      return CompletableFuture.failedFuture(busy());
    }
    PodExec run =
        new PodExec(
            client,
            connect,
            timer,
            options.outputLimitBytes(),
            sandbox,
            request,
            listener,
            this::released);
    live.add(run);
    if (closed) {
      run.fail(new ExecException(ExecException.Kind.RUNTIME_ERROR, "the server is shutting down"));
      return run.result;
    }
    try {
      connect.execute(run::start);
    } catch (RejectedExecutionException e) {
      run.fail(busy());
    }
    return run.result;
  }

  private ExecException busy() {
    return new ExecException(
        ExecException.Kind.BUSY,
        "all "
            + options.maxConcurrent()
            + " exec slots of the kubernetes backend are busy; retry later");
  }

  /** An exec completed: its slot is free. Any thread, once per exec. */
  private void released(PodExec run) {
    live.remove(run);
    inFlight.decrementAndGet();
  }

  /** Execs in flight (connecting or running). Any thread. */
  public int inFlight() {
    return inFlight.get();
  }

  /** Answers every exec still running with RUNTIME_ERROR and stops the threads. Any thread. */
  @Override
  public void close() {
    closed = true;
    for (PodExec run : live)
      run.fail(new ExecException(ExecException.Kind.RUNTIME_ERROR, "the server is shutting down"));
    connect.shutdownNow();
    timer.shutdownNow();
  }
}
