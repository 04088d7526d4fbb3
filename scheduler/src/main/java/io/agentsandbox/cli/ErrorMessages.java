package io.agentsandbox.cli;

import io.agentsandbox.client.AgentSandboxException;
import io.agentsandbox.client.SandboxGoneException;
import io.agentsandbox.client.TransportException;
import io.agentsandbox.client.UnauthorizedException;
import java.io.UncheckedIOException;

/** The one line the CLI prints for a failure, with what to do about it where it knows. */
final class ErrorMessages {
  private ErrorMessages() {}

  static String explain(Exception e, String serverUrl) {
    if (e instanceof SandboxGoneException g) {
      return "the sandbox is gone (killed, crashed or deleted): "
          + g.serverMessage()
          + "; release the claim and claim another";
    }
    if (e instanceof TransportException t) {
      return "cannot reach the server at "
          + serverUrl
          + " ("
          + (t.getCause() == null ? t.getMessage() : t.getCause())
          + "); is it running (./run.sh)? --url or AGENT_SANDBOX_URL names another";
    }
    if (e instanceof UnauthorizedException u && u.status() == 401) {
      return u.getMessage() + " (API token: --token or AGENT_SANDBOX_TOKEN)";
    }
    if (e instanceof AgentSandboxException a) return a.getMessage();
    if (e instanceof UsageProblem u) return u.getMessage();
    if (e instanceof UncheckedIOException u) return u.getCause().toString();
    return e.toString();
  }
}
