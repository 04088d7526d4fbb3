package io.agentsandbox.core.port;

import io.agentsandbox.core.model.ExecRequest;
import io.agentsandbox.core.model.ExecResult;
import io.agentsandbox.core.model.SandboxRef;
import java.util.concurrent.CompletionStage;

/**
 * Runs commands inside running sandboxes (the local backend directly; Kubernetes through the
 * sandbox's runtime port). Any thread; never blocks the caller: the work runs on the executor's own
 * bounded threads and the stage completes there.
 */
public interface SandboxExecutor {

  /**
   * Runs one command.
   *
   * @return completes with the result, or exceptionally with an {@link ExecException}
   */
  CompletionStage<ExecResult> exec(SandboxRef sandbox, ExecRequest request);

  /**
   * Receives a command's output while it runs. Called on the executor's threads, possibly two at
   * once (stdout and stderr).
   */
  @FunctionalInterface
  interface OutputListener {
    /**
     * A chunk of output, in order within its stream; never called after the stage of {@link
     * #execStreaming} completes. Must not block.
     *
     * @param stderr true for stderr, false for stdout
     */
    void onOutput(boolean stderr, byte[] chunk);
  }

  /**
   * Runs one command and hands its output to {@code listener} as it comes (up to the output limit
   * per stream). The result's {@code stdout}/{@code stderr} then hold what was kept, as with {@link
   * #exec}. The default runs {@link #exec} and hands the whole output over at the end.
   */
  default CompletionStage<ExecResult> execStreaming(
      SandboxRef sandbox, ExecRequest request, OutputListener listener) {
    return exec(sandbox, request)
        .thenApply(
            r -> {
              if (r.stdout().length > 0) listener.onOutput(false, r.stdout());
              if (r.stderr().length > 0) listener.onOutput(true, r.stderr());
              return r;
            });
  }

  /**
   * An executor that streams natively: {@link #exec} is {@link #execStreaming} without a listener.
   */
  interface Streaming extends SandboxExecutor {

    @Override
    default CompletionStage<ExecResult> exec(SandboxRef sandbox, ExecRequest request) {
      return execStreaming(sandbox, request, null);
    }

    /** As {@link SandboxExecutor#execStreaming}; a null {@code listener} streams nowhere. */
    @Override
    CompletionStage<ExecResult> execStreaming(
        SandboxRef sandbox, ExecRequest request, OutputListener listener);
  }

  /** Why an exec could not run (as opposed to a command that ran and failed). */
  final class ExecException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What went wrong; decides the HTTP status. */
    public enum Kind {
      /** The sandbox is not running (any more) in this backend. */
      GONE,
      /** Every exec slot is busy; retry later. */
      BUSY,
      /** The runtime failed to run the command. */
      RUNTIME_ERROR
    }

    private final Kind kind;

    public ExecException(Kind kind, String message) {
      super(message, null, false, false);
      this.kind = kind;
    }

    public Kind kind() {
      return kind;
    }
  }
}
