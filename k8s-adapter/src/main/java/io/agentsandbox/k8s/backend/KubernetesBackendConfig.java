package io.agentsandbox.k8s.backend;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Settings of {@code --backend kubernetes}. Immutable.
 *
 * @param kubeconfig kubeconfig file, or null for fabric8's auto-configuration (in-cluster service
 *     account, then {@code $KUBECONFIG} / {@code ~/.kube/config})
 * @param watchNamespace the one namespace to watch, or null for all
 * @param leaderElection only the holder of the Lease serves pools and claims; the others stand by
 *     (not ready) until it goes away
 * @param leaseName name of the Lease
 * @param leaseNamespace namespace of the Lease (null: the pod's namespace in-cluster, else {@code
 *     default})
 * @param identity this replica's name in the Lease (null: env POD_NAME, else the host name)
 * @param agentImage image of the in-sandbox agent's init container (null: {@link
 *     io.agentsandbox.k8s.agent.AgentInjection#defaultImage()})
 * @param agentKeyFile the key the agents' per-sandbox secrets derive from (null: {@code agent.key}
 *     in the state directory, drawn once); replicas that take over from each other need the same
 *     one, e.g. a mounted Secret
 * @param agentByDefault put the agent into every Sandbox pod that does not opt out ({@code
 *     agentsandbox.io/agent: "false"}); false: only into those that opt in ({@code "true"})
 */
public record KubernetesBackendConfig(
    Path kubeconfig,
    String watchNamespace,
    boolean leaderElection,
    String leaseName,
    String leaseNamespace,
    String identity,
    String agentImage,
    Path agentKeyFile,
    boolean agentByDefault) {

  public KubernetesBackendConfig(
      Path kubeconfig,
      String watchNamespace,
      boolean leaderElection,
      String leaseName,
      String leaseNamespace,
      String identity) {
    this(
        kubeconfig,
        watchNamespace,
        leaderElection,
        leaseName,
        leaseNamespace,
        identity,
        null,
        null,
        true);
  }

  public static final String DEFAULT_LEASE_NAME = "agent-sandbox-leader";
  private static final Path IN_CLUSTER_NAMESPACE =
      Path.of("/var/run/secrets/kubernetes.io/serviceaccount/namespace");

  public KubernetesBackendConfig(Path kubeconfig, String watchNamespace) {
    this(kubeconfig, watchNamespace, false, DEFAULT_LEASE_NAME, null, null);
  }

  public static KubernetesBackendConfig defaults() {
    return new KubernetesBackendConfig(null, null);
  }

  /** Normalises blanks to null, fills the lease defaults and checks the values. */
  public KubernetesBackendConfig validate() {
    if (kubeconfig != null && !kubeconfig.toString().isEmpty() && !Files.isReadable(kubeconfig)) {
      throw new IllegalArgumentException("--kubeconfig: cannot read " + kubeconfig);
    }
    String ns = blankToNull(watchNamespace);
    if (ns != null && !isName(ns))
      throw new IllegalArgumentException("--watch-namespace must be a namespace name: " + ns);
    String lease = blankToNull(leaseName) == null ? DEFAULT_LEASE_NAME : leaseName.trim();
    if (!lease.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?"))
      throw new IllegalArgumentException("--lease-name must be an object name: " + lease);
    String leaseNs = blankToNull(leaseNamespace);
    if (leaseNs == null) {
      try {
        leaseNs =
            Files.isReadable(IN_CLUSTER_NAMESPACE)
                ? Files.readString(IN_CLUSTER_NAMESPACE).trim()
                : "default";
      } catch (java.io.IOException e) {
        leaseNs = "default";
      }
    }
    if (!isName(leaseNs))
      throw new IllegalArgumentException("--lease-namespace must be a namespace name: " + leaseNs);
    String id = blankToNull(identity);
    if (id == null) id = blankToNull(System.getenv("POD_NAME"));
    if (id == null && leaderElection) {
      try {
        id = java.net.InetAddress.getLocalHost().getHostName();
      } catch (java.net.UnknownHostException e) {
        id = "agent-sandbox-" + ProcessHandle.current().pid();
      }
    }
    if (agentKeyFile != null
        && !agentKeyFile.toString().isEmpty()
        && !Files.isReadable(agentKeyFile)) {
      throw new IllegalArgumentException("--agent-key-file: cannot read " + agentKeyFile);
    }
    return new KubernetesBackendConfig(
        kubeconfig == null || kubeconfig.toString().isEmpty() ? null : kubeconfig,
        ns,
        leaderElection,
        lease,
        leaseNs,
        id,
        blankToNull(agentImage),
        agentKeyFile == null || agentKeyFile.toString().isEmpty() ? null : agentKeyFile,
        agentByDefault);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  private static boolean isName(String s) {
    return s.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?") && s.length() <= 63;
  }
}
