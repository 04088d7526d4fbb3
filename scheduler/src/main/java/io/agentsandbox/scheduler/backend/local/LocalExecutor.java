package io.agentsandbox.scheduler.backend.local;

import io.agentsandbox.core.model.ExecRequest;
import io.agentsandbox.core.model.ExecResult;
import io.agentsandbox.core.model.SandboxRef;
import io.agentsandbox.core.port.SandboxExecutor;
import io.agentsandbox.scheduler.dataplane.AgentClient;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs commands in this backend's ready sandboxes: each exec is a host process ({@link ExecArgv})
 * run on a {@code local-exec-<n>} worker, its output read on the pipe workers; when every worker is
 * busy and the queue is full it answers {@code BUSY} at once. Thread-safe; {@link #exec} returns at
 * once from any thread.
 */
final class LocalExecutor implements SandboxExecutor.Streaming {

  private final SandboxTable sandboxes;
  private final Executor workers;
  private final ProcessRunner runner;
  private final ExecArgv argv;
  private final int workerCount;
  private final int outputLimitBytes;
  private final AtomicLong execSeq = new AtomicLong();
  private final SandboxCgroup group;

  LocalExecutor(
      SandboxTable sandboxes,
      Executor workers,
      ProcessRunner runner,
      ExecArgv argv,
      int workerCount,
      int outputLimitBytes,
      SandboxCgroup group) {
    this.group = group;
    this.sandboxes = sandboxes;
    this.workers = workers;
    this.runner = runner;
    this.argv = argv;
    this.workerCount = workerCount;
    this.outputLimitBytes = outputLimitBytes;
  }

  @Override
  public CompletionStage<ExecResult> execStreaming(
      SandboxRef sandbox, ExecRequest request, OutputListener listener) {
    LocalSandbox sb = sandboxes.get(SandboxMeta.idOf(sandbox.pool(), sandbox.name()));
    if (sb == null || sb.deleteRequested || !sb.ready) {
      return CompletableFuture.failedFuture(
          new ExecException(
              ExecException.Kind.GONE, "sandbox " + sandbox.name() + " is not running"));
    }
    CompletableFuture<ExecResult> result = new CompletableFuture<>();
    try {
      workers.execute(
          () -> {
            try {
              result.complete(execBlocking(sb, request, listener));
            } catch (ExecException e) {
              result.completeExceptionally(e);
            } catch (IOException | RuntimeException e) {
              result.completeExceptionally(
                  new ExecException(
                      ExecException.Kind.RUNTIME_ERROR, "exec failed: " + e.getMessage()));
            }
          });
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(
          new ExecException(
              ExecException.Kind.BUSY,
              "all "
                  + workerCount
                  + " exec workers are busy and the exec queue is full; retry later"));
    }
    return result;
  }

  /**
   * Runs {@link ExecArgv#PROBE} in {@code sb} on the calling worker: null when it answered, else
   * what went wrong. Blocking.
   */
  String probe(LocalSandbox sb) throws IOException {
    ExecResult r = runner.run(command(sb, ExecArgv.PROBE), null, SandboxEnv.host(), 4_096, 10_000);
    return r.exitCode() == 0 ? null : "exit " + r.exitCode() + ": " + Text.firstLine(r.stderr());
  }

  /** Runs one command in a sandbox. Exec workers only. */
  private ExecResult execBlocking(LocalSandbox sb, ExecRequest request, OutputListener listener)
      throws IOException {
    if (sb.agentSecret != null) return execViaAgent(sb, request, listener);
    File stdin = null;
    try {
      if (request.stdin().length > 0) {
        stdin = sb.dir.resolve("exec-" + execSeq.incrementAndGet() + ".stdin").toFile();
        Files.write(stdin.toPath(), request.stdin());
      }
      long oomBefore = group.oomKills(sb.id);
      ExecResult r =
          runner.run(
              command(sb, request),
              stdin,
              SandboxEnv.host(),
              outputLimitBytes,
              request.timeoutMs() + 5_000,
              listener);
      boolean oomRose = group.oomKills(sb.id) > oomBefore;
      // SIGKILL while the group's OOM-kill count rose: the kernel killed it for memory.
      boolean oomKilled = r.exitCode() == 137 && oomRose;
      if (sb.deleteRequested || sb.dead || runtimeGone(sb, r, oomRose)) {
        // What the runtime said about losing its sandbox is not the command's output.
        throw stopped(sb, oomBefore);
      }
      // `timeout -s KILL` kills the command's process group: exit status 137 (SIGKILL) at the
      // deadline.
      boolean timedOut =
          r.timedOut()
              || (r.exitCode() == 137
                  && r.durationNs() >= TimeUnit.MILLISECONDS.toNanos(request.timeoutMs()));
      if (r.exitCode() == 125 && !timedOut && runtimeFailed(r)) {
        throw new ExecException(
            ExecException.Kind.RUNTIME_ERROR,
            "the runtime could not run the command: " + Text.firstLine(r.stderr()));
      }
      // killed for memory is reported as that, never also as timed out
      return r.withEnding(timedOut && !oomKilled, oomKilled, ExecResult.VIA_RUNTIME);
    } finally {
      if (stdin != null) Files.deleteIfExists(stdin.toPath());
    }
  }

  /**
   * Runs one command (or file operation) through the sandbox's agent, its init. The agent kills the
   * command at its timeout; a command killed by the kernel for memory shows as the group's OOM
   * count rising. Exec workers only.
   */
  private ExecResult execViaAgent(LocalSandbox sb, ExecRequest request, OutputListener listener)
      throws IOException {
    long oomBefore = group.oomKills(sb.id);
    try {
      ExecResult r =
          new AgentClient(AgentInit.socket(sb.dir), sb.agentSecret, outputLimitBytes)
              .exec(request, listener);
      boolean oomKilled = r.exitCode() == 137 && group.oomKills(sb.id) > oomBefore;
      return r.withEnding(r.timedOut() && !oomKilled, oomKilled, ExecResult.VIA_AGENT);
    } catch (IOException e) {
      boolean outerGone =
          sb.outerPid != 0
              && !ProcessHandle.of(sb.outerPid).map(ProcessHandle::isAlive).orElse(false);
      if (sb.deleteRequested || sb.dead || outerGone || group.oomKills(sb.id) > oomBefore) {
        throw stopped(sb, oomBefore);
      }
      throw new ExecException(
          ExecException.Kind.RUNTIME_ERROR,
          "the sandbox's agent did not answer: " + e.getMessage());
    }
  }

  /** The answer to a command whose sandbox stopped under it. */
  private ExecException stopped(LocalSandbox sb, long oomBefore) {
    return new ExecException(
        ExecException.Kind.GONE,
        "sandbox "
            + sb.name
            + " stopped while the command ran ("
            + SandboxLifecycle.deathReason(group.oomKills(sb.id) - oomBefore)
            + ")");
  }

  private java.util.List<String> command(LocalSandbox sb, ExecRequest request) {
    java.util.List<String> cmd =
        argv.build(sb.runtime, sb.id, sb.initPid, SandboxEnv.base(sb.blueprint), request);
    // A bubblewrap exec is a host process: it joins the sandbox's group before entering it.
    return sb.runtime == LocalRuntime.BWRAP ? group.join(sb.id, cmd) : cmd;
  }

  /**
   * True when gVisor lost the sandbox under the command: the kernel OOM-killed in its group (only
   * the sentry can be chosen there), runsc lost the sentry, or the sentry's process is gone.
   */
  private static boolean runtimeGone(LocalSandbox sb, ExecResult r, boolean oomRose) {
    if (sb.runtime != LocalRuntime.GVISOR) return false;
    if (oomRose) return true;
    if (r.exitCode() == 128
        && new String(r.stderr(), StandardCharsets.UTF_8).contains("containerManager")) {
      return true;
    }
    return sb.outerPid != 0
        && !ProcessHandle.of(sb.outerPid).map(ProcessHandle::isAlive).orElse(false);
  }

  private static boolean runtimeFailed(ExecResult r) {
    String err = new String(r.stderr(), StandardCharsets.UTF_8);
    return err.contains("nsenter:")
        || err.contains("setpriv:")
        || err.contains("runsc")
        || err.contains("timeout: failed");
  }
}
