package io.agentsandbox.core.port;

import io.agentsandbox.core.model.AgentEndpoint;
import io.agentsandbox.core.model.SandboxRef;

/**
 * Finds the in-sandbox agent of a running sandbox: the local backend knows its socket in the
 * sandbox's state directory, the Kubernetes backend the pod's IP from its informer cache. Any
 * thread; never blocks and never calls a remote API (a cache or in-memory table only), since the
 * router asks once per proxied request.
 */
@FunctionalInterface
public interface AgentLocator {

  /** No sandbox has an agent: every caller falls back (e.g. to {@code pods/exec}). */
  AgentLocator NONE = sandbox -> null;

  /**
   * @param sandbox a sandbox of this backend
   * @return where its agent listens, or null when it has none (not injected, opted out, or not
   *     running any more)
   */
  AgentEndpoint locate(SandboxRef sandbox);
}
