package io.agentsandbox.k8s.exec;

import io.agentsandbox.core.model.ExecRequest;
import io.agentsandbox.core.model.ExecResult;
import io.agentsandbox.core.model.SandboxRef;
import io.agentsandbox.core.port.SandboxExecutor.ExecException;
import io.agentsandbox.core.port.SandboxExecutor.OutputListener;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.ExecListener;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One exec of the {@link PodExecExecutor}: reads the pod and opens the stream on a {@code k8s-exec}
 * thread, then lives on fabric8's callbacks and the {@code k8s-exec-timer}; completes exactly once
 * (whichever thread gets there first), then hands itself back through {@code onRelease}.
 */
final class PodExec implements ExecListener {

  private static final Logger LOG = LoggerFactory.getLogger(PodExec.class);

  private static final int STDIN_FRAME =
      32 * 1024 - 1; // + the channel byte: within a 32 KiB websocket frame

  private final KubernetesClient client;
  private final Executor connect;
  private final ScheduledExecutorService timer;
  private final Consumer<PodExec> onRelease;
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

  PodExec(
      KubernetesClient client,
      Executor connect,
      ScheduledExecutorService timer,
      int outputLimitBytes,
      SandboxRef sandbox,
      ExecRequest request,
      OutputListener listener,
      Consumer<PodExec> onRelease) {
    this.client = client;
    this.connect = connect;
    this.timer = timer;
    this.onRelease = onRelease;
    this.sandbox = sandbox;
    this.request = request;
    this.out = new BoundedOutput(outputLimitBytes, listener, false);
    this.err = new BoundedOutput(outputLimitBytes, listener, true);
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
      fail(ExecFailures.apiFailure("reading pod " + pod(), e));
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
    String container = ExecCommand.containerOf(pod);
    if (container == null) {
      fail(
          new ExecException(
              ExecException.Kind.RUNTIME_ERROR,
              "sandbox " + name + ": its pod " + pod() + " has no container"));
      return;
    }
    String[] argv = ExecCommand.command(request).toArray(String[]::new);
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
      fail(ExecFailures.apiFailure("exec in pod " + pod() + " container " + container, e));
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
              ? ExecFailures.apiFailure("exec in pod " + pod(), k)
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
            durationNs,
            false,
            null));
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
    onRelease.accept(this);
    out.close();
    err.close();
    ScheduledFuture<?> d = deadline;
    if (d != null) d.cancel(false);
    ExecWatch w = watch;
    if (w != null) closeQuietly(w);
  }

  private static void closeQuietly(ExecWatch w) {
    try {
      w.close();
    } catch (RuntimeException e) {
      LOG.debug("closing an exec stream: {}", e.toString());
    }
  }
}
