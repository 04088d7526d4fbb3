package io.agentsandbox.k8s.testing;

/** Documents quoted verbatim from {@code ../shared/reference/seed-examples.md}, for the ITs that apply them. */
public final class SeedExamples {

  private SeedExamples() {}

  /** The three upstream v1alpha1 Sandboxes: gVisor, Kata with a GPU, and no runtime class. */
  public static final String V1ALPHA1_SANDBOXES = """
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
            image: my-ai-agent:latest
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
            image: my-ai-agent:latest
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
            image: busybox:latest
    """;
}
