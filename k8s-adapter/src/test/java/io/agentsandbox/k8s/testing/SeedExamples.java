package io.agentsandbox.k8s.testing;

/**
 * Documents quoted verbatim from {@code ../shared/reference/seed-examples.md}, for the ITs that
 * apply them.
 */
public final class SeedExamples {

  private SeedExamples() {}

  /** The three upstream v1alpha1 Sandboxes: gVisor, Kata with a GPU, and no runtime class. */
  public static final String V1ALPHA1_SANDBOXES =
      v1alpha1Sandboxes("my-ai-agent:latest", "busybox:latest");

  /**
   * {@link #V1ALPHA1_SANDBOXES} with other images: {@code agentImage} for the two agent-runtime
   * containers (seed: my-ai-agent:latest), {@code busyboxImage} for my-container (seed:
   * busybox:latest).
   */
  public static String v1alpha1Sandboxes(String agentImage, String busyboxImage) {
    return """
    apiVersion: agents.x-k8s.io/v1alpha1
    kind: Sandbox
    metadata:
      name: ai-agent-sandbox
    spec:
      podTemplate:
        spec:
          runtimeClassName: gvisor
          containers:
          - name: agent-runtime
            image: %1$s
    ---
    apiVersion: agents.x-k8s.io/v1alpha1
    kind: Sandbox
    metadata:
      name: kata-ai-sandbox
    spec:
      podTemplate:
        spec:
          runtimeClassName: kata-qemu-nvidia-gpu
          containers:
          - name: agent-runtime
            image: %1$s
    ---
    apiVersion: agents.x-k8s.io/v1alpha1
    kind: Sandbox
    metadata:
      name: my-sandbox
    spec:
      podTemplate:
        spec:
          containers:
          - name: my-container
            image: %2$s
    """
        .formatted(agentImage, busyboxImage);
  }
}
