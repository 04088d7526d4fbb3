package io.agentsandbox.k8s.exec;

import io.agentsandbox.core.port.SandboxExecutor.ExecException;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.http.WebSocketHandshakeException;

/** Why an exec could not run, from the API server's answer. Pure. */
final class ExecFailures {
  private ExecFailures() {}

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
}
