package io.agentsandbox.scheduler.cli;

import io.agentsandbox.k8s.backend.KubernetesBackendConfig;
import java.nio.file.Path;
import picocli.CommandLine.Help.Visibility;
import picocli.CommandLine.Option;

/** {@code --backend kubernetes}: cluster access and leader election. */
public final class KubernetesOptions {

  @Option(
      names = "--kubeconfig",
      defaultValue = "",
      showDefaultValue = Visibility.NEVER,
      description =
          "Kubernetes: kubeconfig file; default in-cluster account, then $KUBECONFIG, ~/.kube/config.")
  String kubeconfig;

  @Option(
      names = "--watch-namespace",
      defaultValue = "",
      showDefaultValue = Visibility.NEVER,
      description = "Kubernetes: the one namespace served; default all.")
  String watchNamespace;

  @Option(
      names = "--leader-election",
      defaultValue = "false",
      arity = "0..1",
      description = "Kubernetes: only the holder of a Lease serves; other replicas stand by.")
  boolean leaderElection;

  @Option(
      names = "--lease-name",
      defaultValue = KubernetesBackendConfig.DEFAULT_LEASE_NAME,
      description = "Kubernetes: the leader-election Lease.")
  String leaseName;

  @Option(
      names = "--lease-namespace",
      defaultValue = "",
      showDefaultValue = Visibility.NEVER,
      description = "Kubernetes: namespace of the Lease; default the pod's, else 'default'.")
  String leaseNamespace;

  @Option(
      names = "--agent-image",
      defaultValue = "",
      showDefaultValue = Visibility.NEVER,
      description =
          "Kubernetes: image of the in-sandbox agent's init container; default"
              + " localhost/agent-sandbox-agent:<version>.")
  String agentImage;

  @Option(
      names = "--agent-key-file",
      defaultValue = "",
      showDefaultValue = Visibility.NEVER,
      description =
          "Kubernetes: key (>= 32 bytes) the agents' per-sandbox secrets derive from; default"
              + " agent.key in the state dir, drawn once. Replicas must share it (mount a Secret).")
  String agentKeyFile;

  @Option(
      names = "--agent-by-default",
      defaultValue = "true",
      arity = "0..1",
      description =
          "Kubernetes: inject the agent into every Sandbox pod unless it opts out"
              + " (agentsandbox.io/agent: \"false\"); false: only pods that opt in (\"true\").")
  boolean agentByDefault;

  /** The Kubernetes-backend configuration these flags describe (not yet validated). */
  public KubernetesBackendConfig toConfig() {
    return new KubernetesBackendConfig(
        kubeconfig == null || kubeconfig.isBlank() ? null : Path.of(kubeconfig),
        watchNamespace,
        leaderElection,
        leaseName,
        leaseNamespace,
        null,
        agentImage,
        agentKeyFile == null || agentKeyFile.isBlank() ? null : Path.of(agentKeyFile),
        agentByDefault);
  }
}
