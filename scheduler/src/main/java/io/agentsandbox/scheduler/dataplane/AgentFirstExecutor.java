package io.agentsandbox.scheduler.dataplane;

import io.agentsandbox.core.model.AgentEndpoint;
import io.agentsandbox.core.model.ExecRequest;
import io.agentsandbox.core.model.ExecResult;
import io.agentsandbox.core.model.SandboxRef;
import io.agentsandbox.core.port.AgentLocator;
import io.agentsandbox.core.port.SandboxExecutor;
import java.io.IOException;
import java.net.ConnectException;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a command (or a file operation) through the sandbox's in-sandbox agent when its {@link
 * AgentLocator} knows one, else through {@code fallback} (e.g. {@code pods/exec} for a pod without
 * the agent, or whose agent refuses the connection, so nothing was sent); the result's {@link
 * ExecResult#path()} says which served it. Agent calls are blocking and run on this executor's own
 * bounded workers ({@code agent-exec-<n>}): when all are busy and the queue is full, the call fails
 * at once with {@code BUSY}. Any thread may call.
 */
public final class AgentFirstExecutor implements SandboxExecutor.Streaming, AutoCloseable {

  private final AgentLocator locator;
  private final SandboxExecutor fallback;
  private final int outputLimitBytes;
  private final ThreadPoolExecutor workers;

  /**
   * @param locator finds a sandbox's agent (cache only, never a remote call)
   * @param fallback serves sandboxes without an agent
   * @param workers how many agent calls run at once (also how many may wait)
   * @param outputLimitBytes the most bytes kept per output stream or file read
   */
  public AgentFirstExecutor(
      AgentLocator locator, SandboxExecutor fallback, int workers, int outputLimitBytes) {
    this.locator = Objects.requireNonNull(locator, "locator");
    this.fallback = Objects.requireNonNull(fallback, "fallback");
    if (workers < 1) throw new IllegalArgumentException("workers must be >= 1: " + workers);
    this.outputLimitBytes = outputLimitBytes;
    AtomicInteger seq = new AtomicInteger();
    this.workers =
        new ThreadPoolExecutor(
            workers,
            workers,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(workers),
            r -> {
              Thread t = new Thread(r, "agent-exec-" + seq.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.workers.allowCoreThreadTimeOut(true);
  }

  @Override
  public CompletionStage<ExecResult> execStreaming(
      SandboxRef sandbox, ExecRequest request, OutputListener listener) {
    AgentEndpoint agent = locator.locate(sandbox);
    if (agent == null) return viaFallback(sandbox, request, listener);
    CompletableFuture<ExecResult> out = new CompletableFuture<>();
    try {
      workers.execute(() -> run(sandbox, agent, request, listener, out));
    } catch (RejectedExecutionException e) {
      out.completeExceptionally(
          new ExecException(
              ExecException.Kind.BUSY,
              "every agent call slot is busy (" + workers.getMaximumPoolSize() + ")"));
    }
    return out;
  }

  private CompletionStage<ExecResult> viaFallback(
      SandboxRef sandbox, ExecRequest request, OutputListener listener) {
    CompletionStage<ExecResult> r =
        listener == null
            ? fallback.exec(sandbox, request)
            : fallback.execStreaming(sandbox, request, listener);
    return r.thenApply(x -> x.path() == null ? x.withPath(ExecResult.VIA_RUNTIME) : x);
  }

  private void run(
      SandboxRef sandbox,
      AgentEndpoint agent,
      ExecRequest request,
      OutputListener listener,
      CompletableFuture<ExecResult> out) {
    try {
      out.complete(
          new AgentClient(agent, outputLimitBytes)
              .exec(request, listener)
              .withPath(ExecResult.VIA_AGENT));
    } catch (ExecException e) {
      out.completeExceptionally(e);
    } catch (ConnectException e) {
      // Nothing was sent: the pod has the agent but its address does not reach it (e.g. a gVisor
      // pod with --network=none serves no pod IP). The fallback runs the command instead.
      viaFallback(sandbox, request, listener)
          .whenComplete(
              (r, t) -> {
                if (t != null) out.completeExceptionally(t);
                else out.complete(r);
              });
    } catch (IOException e) {
      // The locator found it a moment ago: the agent (or its pod) went away, or stopped answering.
      ExecException.Kind kind =
          locator.locate(sandbox) == null
              ? ExecException.Kind.GONE
              : ExecException.Kind.RUNTIME_ERROR;
      out.completeExceptionally(
          new ExecException(
              kind,
              "the agent of sandbox " + sandbox.name() + " did not answer: " + e.getMessage()));
    } catch (RuntimeException e) {
      out.completeExceptionally(e);
    }
  }

  @Override
  public void close() {
    workers.shutdownNow();
  }
}
