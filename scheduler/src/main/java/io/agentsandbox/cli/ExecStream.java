package io.agentsandbox.cli;

import io.agentsandbox.client.ExecResult;
import io.agentsandbox.client.ExecSpec;
import io.agentsandbox.client.SandboxHandle;
import java.io.PrintWriter;

/** Runs a command in a sandbox with its output streamed to the CLI's out/err. */
final class ExecStream {
  private ExecStream() {}

  /** Streams a command's output to {@code out}/{@code err}; returns its exit code. */
  static int stream(SandboxHandle sandbox, ExecSpec spec, PrintWriter out, PrintWriter err) {
    ExecResult r =
        sandbox.execStream(
            spec,
            chunk -> {
              PrintWriter w = chunk.isStderr() ? err : out;
              w.print(chunk.data());
              w.flush();
            });
    if (r.timedOut()) {
      err.println(
          "agent-sandbox: the command timed out and was killed (exit " + r.exitCode() + ")");
    }
    if (r.stdoutTruncated() || r.stderrTruncated()) {
      err.println("agent-sandbox: output was truncated by the server's output limit");
    }
    err.flush();
    return r.exitCode();
  }
}
