package io.agentsandbox.k8s.agent;

import io.agentsandbox.core.model.AgentEndpoint;
import io.agentsandbox.core.model.SandboxRef;
import io.agentsandbox.core.port.AgentLocator;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * The Kubernetes backend's {@link AgentLocator}: a sandbox's pod (same name, in its pool's
 * namespace) from the controller's pod informer cache; its agent at {@code podIP:<agent-port>} with
 * the secret derived from the agent key. Null when injection is off, or the pod is missing, being
 * deleted, not injected ({@link AgentInjection#PORT_ANNOTATION}) or has no IP yet. Never calls the
 * API server; any thread.
 */
public final class KubernetesAgentLocator implements AgentLocator {

  private final BiFunction<String, String, Pod> cachedPod;
  private final AgentSecrets secrets;

  /**
   * @param cachedPod (namespace, name) → the pod from an informer cache, or null
   * @param secrets the agent secrets, or null when injection is off (then nothing is found)
   */
  public KubernetesAgentLocator(BiFunction<String, String, Pod> cachedPod, AgentSecrets secrets) {
    this.cachedPod = Objects.requireNonNull(cachedPod, "cachedPod");
    this.secrets = secrets;
  }

  @Override
  public AgentEndpoint locate(SandboxRef sandbox) {
    if (secrets == null) return null;
    String ns = sandbox.pool().namespace();
    Pod pod = cachedPod.apply(ns, sandbox.name());
    if (pod == null || pod.getMetadata().getDeletionTimestamp() != null) return null;
    int port = AgentInjection.agentPort(pod);
    String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
    if (port == 0 || ip == null || ip.isEmpty()) return null;
    return AgentEndpoint.tcp(ip, port, secrets.secret(ns, sandbox.name()));
  }
}
