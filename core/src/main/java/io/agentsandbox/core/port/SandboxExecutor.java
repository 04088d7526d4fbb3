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
