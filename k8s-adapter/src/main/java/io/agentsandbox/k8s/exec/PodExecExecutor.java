package io.agentsandbox.k8s.exec;

import io.agentsandbox.core.model.ExecRequest;
import io.agentsandbox.core.model.ExecResult;
import io.agentsandbox.core.model.SandboxRef;
import io.agentsandbox.core.port.SandboxExecutor;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.ExecListener;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import io.fabric8.kubernetes.client.http.WebSocketHandshakeException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * #WRAPPER}, run by the image's {@code /bin/sh}: it enters the working directory ({@code
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
public final class PodExecExecutor implements SandboxExecutor, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(PodExecExecutor.class);

  /** Pod annotation naming the container {@code kubectl exec} uses by default. */
  public static final String DEFAULT_CONTAINER_ANNOTATION =
      "kubectl.kubernetes.io/default-container";

  /**
   * The wrapper, run as {@code /bin/sh -c WRAPPER sh <workdir> <reaperSeconds> <stdinBytes>
   * <envCount> <NAME=value>... <command>...}.
   */
  static final String WRAPPER =
      "cd -- \"$1\" 2>/dev/null || { [ \"$1\" = "
          + ExecRequest.WORKSPACE
          + " ] && mkdir -p -- \"$1\" && cd -- \"$1\"; } "
          + "|| { echo \"cannot enter the working directory $1\" >&2; exit 125; }; "
          + "t=$2; n=$3; e=$4; shift 4; "
          + "while [ \"$e\" -gt 0 ]; do export \"$1\"; shift; e=$((e - 1)); done; "
          + "if command -v timeout >/dev/null 2>&1; then set -- timeout -s KILL \"$t\" \"$@\"; fi; "
          + "if [ \"$n\" -gt 0 ]; then head -c \"$n\" | \"$@\"; else exec \"$@\" </dev/null; fi";

  private static final int STDIN_FRAME =
      32 * 1024 - 1; // + the channel byte: within a 32 KiB websocket frame
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
  private final java.util.Set<Run> live = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private volatile boolean closed;

  public PodExecExecutor(KubernetesClient client, Options options) {
    this.client = Objects.requireNonNull(client, "client");
    this.options = Objects.requireNonNull(options, "options");
    AtomicInteger n = new AtomicInteger();
    this.connect =
        new ThreadPoolExecutor(
            options.connectThreads(),
            options.connectThreads(),
            60,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(options.maxConcurrent()),
            r -> daemon(r, "k8s-exec-" + n.getAndIncrement()));
    this.connect.allowCoreThreadTimeOut(true);
    this.timer = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "k8s-exec-timer"));
    this.timer.setRemoveOnCancelPolicy(true);
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  @Override
  public CompletionStage<ExecResult> exec(SandboxRef sandbox, ExecRequest request) {
    return execStreaming(sandbox, request, null);
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
      return busy();
    }
    Run run = new Run(sandbox, request, listener);
    live.add(run);
    if (closed) {
      run.fail(new ExecException(ExecException.Kind.RUNTIME_ERROR, "the server is shutting down"));
      return run.result;
    }
    try {
      connect.execute(run::start);
    } catch (RejectedExecutionException e) {
      run.fail(
          new ExecException(
              ExecException.Kind.BUSY,
              "all "
                  + options.maxConcurrent()
                  + " exec slots of the kubernetes backend are busy; retry later"));
    }
    return run.result;
  }

  private CompletionStage<ExecResult> busy() {
    return CompletableFuture.failedFuture(
        new ExecException(
            ExecException.Kind.BUSY,
            "all "
                + options.maxConcurrent()
                + " exec slots of the kubernetes backend are busy; retry later"));
  }

  /** Execs in flight (connecting or running). Any thread. */
  public int inFlight() {
    return inFlight.get();
  }

  /**
   * The argv sent to the API server for {@code request}: {@link #WRAPPER} and its arguments, then
   * the command.
   */
  static List<String> command(ExecRequest request) {
    List<String> argv = new ArrayList<>(8 + request.env().size() + request.command().size());
    argv.addAll(
        List.of(
            "/bin/sh",
            "-c",
            WRAPPER,
            "sh",
            request.workdir(),
            Long.toString(reaperSeconds(request.timeoutMs())),
            Integer.toString(request.stdin().length),
            Integer.toString(request.env().size())));
    for (Map.Entry<String, String> e : request.env().entrySet())
      argv.add(e.getKey() + "=" + e.getValue());
    argv.addAll(request.command());
    return argv;
  }

  /**
   * Whole seconds after which the in-container {@code timeout} kills: one more than the deadline,
   * rounded up.
   */
  static long reaperSeconds(long timeoutMs) {
    return (timeoutMs + 999) / 1000 + 1;
  }

  /**
   * The container an exec goes to: the default-container annotation when it names one, else the
   * first.
   */
  static String containerOf(Pod pod) {
    List<Container> containers =
        pod.getSpec() == null || pod.getSpec().getContainers() == null
            ? List.of()
            : pod.getSpec().getContainers();
    Map<String, String> annotations = pod.getMetadata().getAnnotations();
    String named = annotations == null ? null : annotations.get(DEFAULT_CONTAINER_ANNOTATION);
    if (named != null) {
      for (Container c : containers) {
        if (named.equals(c.getName())) return named;
      }
    }
    return containers.isEmpty() ? null : containers.get(0).getName();
  }

  /** Answers every exec still running with RUNTIME_ERROR and stops the threads. Any thread. */
  @Override
  public void close() {
    closed = true;
    for (Run run : live)
      run.fail(new ExecException(ExecException.Kind.RUNTIME_ERROR, "the server is shutting down"));
    connect.shutdownNow();
    timer.shutdownNow();
  }

  // ------------------------------------------------------------------ one exec

  /** One exec: connect on a {@code k8s-exec} thread, then callbacks; completes exactly once. */
  private final class Run implements ExecListener {
    final SandboxRef sandbox;
    final ExecRequest request;
    final CompletableFuture<ExecResult> result = new CompletableFuture<>();
    final BoundedOutput out;
    final BoundedOutput err;
    final long startNs = System.nanoTime();
    final AtomicBoolean finished = new AtomicBoolean();
    volatile ScheduledFuture<?> deadline;
    volatile ExecWatch watch;
    volatile Status exitStatus;

    Run(SandboxRef sandbox, ExecRequest request, OutputListener listener) {
      this.sandbox = sandbox;
      this.request = request;
      this.out = new BoundedOutput(options.outputLimitBytes(), listener, false);
      this.err = new BoundedOutput(options.outputLimitBytes(), listener, true);
    }

    String pod() {
      return sandbox.pool().namespace() + "/" + sandbox.name();
    }

    /** Reads the pod, opens the exec stream, sends stdin. {@code k8s-exec} thread (blocking). */
    void start() {
      if (finished.get()) return;
      String ns = sandbox.pool().namespace();
      String name = sandbox.name();
      Pod pod;
      try {
        pod = client.pods().inNamespace(ns).withName(name).get();
      } catch (KubernetesClientException e) {
        fail(apiFailure("reading pod " + pod(), e));
        return;
      }
      if (pod == null) {
        fail(
            new ExecException(
                ExecException.Kind.GONE,
                "sandbox " + name + ": its pod " + pod() + " does not exist (deleted?)"));
        return;
      }
      if (pod.getMetadata().getDeletionTimestamp() != null) {
        fail(
            new ExecException(
                ExecException.Kind.GONE,
                "sandbox " + name + ": its pod " + pod() + " is being deleted"));
        return;
      }
      String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
      if (!"Running".equals(phase)) {
        fail(
            new ExecException(
                ExecException.Kind.GONE,
                "sandbox "
                    + name
                    + ": its pod "
                    + pod()
                    + " is "
                    + (phase == null ? "not started" : phase)
                    + ", not Running"));
        return;
      }
      String container = containerOf(pod);
      if (container == null) {
        fail(
            new ExecException(
                ExecException.Kind.RUNTIME_ERROR,
                "sandbox " + name + ": its pod " + pod() + " has no container"));
        return;
      }
      String[] argv = command(request).toArray(String[]::new);
      boolean stdin = request.stdin().length > 0;
      ExecWatch w;
      try {
        // resource(pod): fabric8 takes the container list from this pod instead of a second GET (it
        // still starts its own pod-ready wait, a LIST with timeout 0, before the upgrade)
        w =
            (stdin
                    ? client
                        .pods()
                        .inNamespace(ns)
                        .resource(pod)
                        .inContainer(container)
                        .redirectingInput()
                    : client.pods().inNamespace(ns).resource(pod).inContainer(container))
                .writingOutput(out)
                .writingError(err)
                .usingListener(this)
                .exec(argv);
      } catch (KubernetesClientException e) {
        fail(apiFailure("exec in pod " + pod() + " container " + container, e));
        return;
      } catch (RuntimeException e) {
        fail(
            new ExecException(
                ExecException.Kind.RUNTIME_ERROR,
                "exec in pod " + pod() + " container " + container + " failed: " + e));
        return;
      }
      watch = w;
      // The deadline counts from the open stream, as the local backend's counts from the process
      // start.
      try {
        deadline = timer.schedule(this::timedOut, request.timeoutMs(), TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        fail(new ExecException(ExecException.Kind.RUNTIME_ERROR, "the executor is closed"));
        return;
      }
      w.exitCode().whenComplete(this::exited);
      if (stdin) {
        try {
          // In 32 KiB frames: one websocket message per write, and API servers and
          // proxies between here and the kubelet need not take a 16 MiB file upload as one message.
          OutputStream in = w.getInput();
          byte[] bytes = request.stdin();
          for (int off = 0; off < bytes.length && !finished.get(); off += STDIN_FRAME) {
            in.write(bytes, off, Math.min(STDIN_FRAME, bytes.length - off));
          }
          in.flush();
        } catch (IOException | RuntimeException e) {
          // the command may have exited without reading it all: its exit status still decides
          LOG.debug("exec in {}: stdin not fully sent: {}", pod(), e.toString());
        }
      }
    }

    /**
     * fabric8's exit code: a status on the error channel, null when the stream closed without one.
     */
    void exited(Integer code, Throwable t) {
      if (t != null) {
        Throwable c =
            t instanceof java.util.concurrent.CompletionException && t.getCause() != null
                ? t.getCause()
                : t;
        fail(
            c instanceof KubernetesClientException k
                ? apiFailure("exec in pod " + pod(), k)
                : new ExecException(
                    ExecException.Kind.RUNTIME_ERROR,
                    "exec in pod " + pod() + " failed: " + c.getMessage()));
      } else if (code == null) {
        lostStream();
      } else if (code < 0) {
        Status s = exitStatus;
        fail(
            new ExecException(
                ExecException.Kind.RUNTIME_ERROR,
                "the runtime could not run the command in pod "
                    + pod()
                    + ": "
                    + (s == null || s.getMessage() == null ? "no reason given" : s.getMessage())
                    + " (the image needs /bin/sh)"));
      } else {
        long durationNs = System.nanoTime() - startNs;
        // the in-container reaper fired (only if the server-side deadline did not)
        boolean timedOut =
            code == 137 && durationNs >= TimeUnit.MILLISECONDS.toNanos(request.timeoutMs());
        complete(code, timedOut);
      }
    }

    /**
     * The stream closed without an exit status: GONE when the pod is gone or stopped meanwhile (as
     * the local backend answers for a sandbox that stopped during the command), else RUNTIME_ERROR.
     * The pod read is blocking: it runs on a {@code k8s-exec} thread, not on fabric8's.
     */
    void lostStream() {
      String lost = "exec in pod " + pod() + ": the stream closed without an exit status";
      try {
        connect.execute(
            () -> {
              Pod pod;
              try {
                pod =
                    client
                        .pods()
                        .inNamespace(sandbox.pool().namespace())
                        .withName(sandbox.name())
                        .get();
              } catch (KubernetesClientException e) {
                fail(
                    new ExecException(
                        ExecException.Kind.RUNTIME_ERROR, lost + " (API server connection lost?)"));
                return;
              }
              if (pod == null
                  || pod.getMetadata().getDeletionTimestamp() != null
                  || pod.getStatus() == null
                  || !"Running".equals(pod.getStatus().getPhase())) {
                fail(
                    new ExecException(
                        ExecException.Kind.GONE,
                        "sandbox "
                            + sandbox.name()
                            + " stopped while the command ran ("
                            + lost
                            + ")"));
              } else {
                fail(
                    new ExecException(
                        ExecException.Kind.RUNTIME_ERROR,
                        lost + " (the pod still runs: API server or kubelet connection lost?)"));
              }
            });
      } catch (RejectedExecutionException e) {
        fail(new ExecException(ExecException.Kind.RUNTIME_ERROR, lost));
      }
    }

    /**
     * The deadline passed: answer now (137, timedOut) and close the stream. {@code k8s-exec-timer}.
     */
    void timedOut() {
      complete(137, true);
    }

    @Override
    public void onExit(int code, Status status) {
      exitStatus = status;
    }

    @Override
    public void onFailure(Throwable t, Response failureResponse) {
      LOG.debug(
          "exec in {}: stream failure {}: {}",
          pod(),
          failureResponse == null ? "" : failureResponse.code(),
          t.toString());
    }

    @Override
    public void onClose(int code, String reason) {
      // the exit code future decides
    }

    void complete(int code, boolean timedOut) {
      if (!finished.compareAndSet(false, true)) return;
      long durationNs = System.nanoTime() - startNs;
      release();
      result.complete(
          new ExecResult(
              code,
              out.bytes(),
              err.bytes(),
              out.truncated(),
              err.truncated(),
              timedOut,
              durationNs));
    }

    void fail(ExecException e) {
      if (!finished.compareAndSet(false, true)) return;
      release();
      result.completeExceptionally(e);
    }

    /**
     * Stops output (no listener call after the stage completes), frees the slot, closes the stream.
     */
    private void release() {
      live.remove(this);
      out.close();
      err.close();
      inFlight.decrementAndGet();
      ScheduledFuture<?> d = deadline;
      if (d != null) d.cancel(false);
      ExecWatch w = watch;
      if (w != null) closeQuietly(w);
    }
  }

  private static void closeQuietly(ExecWatch w) {
    try {
      w.close();
    } catch (RuntimeException e) {
      LOG.debug("closing an exec stream: {}", e.toString());
    }
  }

  /**
   * Maps an API error to why the exec could not run: the pod is gone (409), or the API failed
   * (502).
   */
  static ExecException apiFailure(String what, KubernetesClientException e) {
    int code = httpCode(e);
    String detail =
        e.getStatus() != null && e.getStatus().getMessage() != null
            ? e.getStatus().getMessage()
            : e.getMessage();
    if (code > 0 && detail != null && detail.startsWith("An error has occurred"))
      detail = "HTTP " + code;
    if (code == 404 || code == 400 || code == 409 || code == 410) {
      return new ExecException(ExecException.Kind.GONE, what + ": " + code + " " + detail);
    }
    if (code == 401 || code == 403) {
      return new ExecException(
          ExecException.Kind.RUNTIME_ERROR,
          what
              + ": the API server refused ("
              + code
              + "): "
              + detail
              + " (the server's service account needs get on pods and get, create on pods/exec)");
    }
    if (code == 0) {
      return new ExecException(
          ExecException.Kind.RUNTIME_ERROR, what + ": API server unreachable: " + detail);
    }
    return new ExecException(
        ExecException.Kind.RUNTIME_ERROR, what + ": API server error " + code + ": " + detail);
  }

  /**
   * The HTTP status of a failed call; for a refused websocket upgrade fabric8 keeps it only in the
   * cause. 0 when none.
   */
  static int httpCode(KubernetesClientException e) {
    if (e.getCode() > 0) return e.getCode();
    for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
      if (t instanceof WebSocketHandshakeException h && h.getResponse() != null)
        return h.getResponse().code();
    }
    return 0;
  }

  /**
   * Keeps the first {@code limit} bytes written, counts the rest; hands kept chunks to the
   * listener.
   */
  static final class BoundedOutput extends OutputStream {
    private final int limit;
    private final OutputListener listener;
    private final boolean stderr;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private boolean truncated;
    private boolean closed;

    BoundedOutput(int limit, OutputListener listener, boolean stderr) {
      this.limit = limit;
      this.listener = listener;
      this.stderr = stderr;
    }

    @Override
    public void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      if (closed || len <= 0) return;
      int keep = Math.min(Math.max(limit - kept.size(), 0), len);
      if (keep > 0) {
        kept.write(b, off, keep);
        if (listener != null) listener.onOutput(stderr, Arrays.copyOfRange(b, off, off + keep));
      }
      if (keep < len) truncated = true;
    }

    /** No more output is kept or handed on (the stream may still write). */
    @Override
    public synchronized void close() {
      closed = true;
    }

    synchronized byte[] bytes() {
      return kept.toByteArray();
    }

    synchronized boolean truncated() {
      return truncated;
    }
  }
}
