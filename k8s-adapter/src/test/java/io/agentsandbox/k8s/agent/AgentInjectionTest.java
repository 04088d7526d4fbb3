package io.agentsandbox.k8s.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentsandbox.core.model.AgentEndpoint;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxRef;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.reconcile.SandboxResources;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AgentInjectionTest {

  static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
  static final AgentInjection ON =
      new AgentInjection(AgentInjection.Options.enabled(KEY).withImage("localhost/agent:t"));

  static Sandbox sandbox(String yaml) {
    Sandbox s = Serialization.unmarshal(yaml, Sandbox.class);
    s.getMetadata().setNamespace("ns");
    s.getMetadata().setUid("uid-1");
    return s;
  }

  static final String WITH_COMMAND =
      """
      apiVersion: agents.x-k8s.io/v1beta1
      kind: Sandbox
      metadata: {name: sb}
      spec:
        podTemplate:
          spec:
            containers:
            - name: main
              image: img
              command: [python3, -m, http.server]
              args: ["9000"]
              env: [{name: A, value: a}, {name: AGENT_SANDBOX_SECRET, value: spoofed}]
              resources: {limits: {memory: 256Mi, cpu: 500m}, requests: {memory: 256Mi, cpu: 500m}}
            - name: side
              image: side
      """;

  static Pod injected(String yaml) {
    Sandbox sb = sandbox(yaml);
    return ON.apply(sb, SandboxResources.pod(sb));
  }

  @Test
  void shouldWrapTheTemplatesCommandWithTheAgentAndKeepItsArgs() {
    Pod pod = injected(WITH_COMMAND);
    Container main = pod.getSpec().getContainers().get(0);
    assertThat(main.getCommand())
        .containsExactly(
            "/.agent-sandbox/agent-sandbox-agent",
            "--listen",
            "tcp:0.0.0.0:8888",
            "--workspace",
            "/workspace",
            "--",
            "python3",
            "-m",
            "http.server",
            "9000");
    assertThat(main.getArgs()).isNullOrEmpty();
    assertThat(main.getVolumeMounts())
        .anySatisfy(
            m -> {
              assertThat(m.getMountPath()).isEqualTo("/.agent-sandbox");
              assertThat(m.getReadOnly()).isTrue();
            })
        .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/workspace"));
    assertThat(main.getPorts()).anySatisfy(p -> assertThat(p.getContainerPort()).isEqualTo(8888));
    // the secret: derived, replaces a template's own value, once
    List<EnvVar> secret =
        main.getEnv().stream().filter(e -> e.getName().equals("AGENT_SANDBOX_SECRET")).toList();
    assertThat(secret).hasSize(1);
    assertThat(secret.get(0).getValue()).isEqualTo(ON.secrets().secret("ns", "sb"));
    assertThat(main.getEnv()).anySatisfy(e -> assertThat(e.getName()).isEqualTo("A"));
    // only the workload container is wrapped
    assertThat(pod.getSpec().getContainers().get(1).getCommand()).isNullOrEmpty();
    assertThat(pod.getMetadata().getAnnotations())
        .containsEntry(AgentInjection.PORT_ANNOTATION, "8888");
    assertThat(AgentInjection.injected(pod)).isTrue();
  }

  @Test
  void shouldCopyTheBinaryWithAHardenedInitContainerSizedLikeTheWorkload() {
    Pod pod = injected(WITH_COMMAND);
    Container init = pod.getSpec().getInitContainers().get(0);
    assertThat(init.getName()).isEqualTo(AgentInjection.INIT_CONTAINER);
    assertThat(init.getImage()).isEqualTo("localhost/agent:t");
    assertThat(init.getCommand())
        .containsExactly(
            "/agent-sandbox-agent", "--install-to", "/.agent-sandbox/agent-sandbox-agent");
    assertThat(init.getVolumeMounts())
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.getMountPath()).isEqualTo("/.agent-sandbox");
              assertThat(m.getReadOnly()).isNotEqualTo(Boolean.TRUE);
            });
    var sc = init.getSecurityContext();
    assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
    assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(sc.getRunAsNonRoot()).isTrue();
    assertThat(sc.getReadOnlyRootFilesystem()).isTrue();
    assertThat(sc.getPrivileged()).isNotEqualTo(Boolean.TRUE);
    assertThat(init.getResources().getLimits()).containsEntry("memory", new Quantity("256Mi"));
    // the pod stays hardened as SandboxResources made it
    assertThat(pod.getSpec().getSecurityContext().getSeccompProfile().getType())
        .isEqualTo("RuntimeDefault");
    assertThat(pod.getSpec().getVolumes())
        .anySatisfy(
            v -> {
              assertThat(v.getName()).isEqualTo(AgentInjection.VOLUME);
              assertThat(v.getEmptyDir()).isNotNull();
            });
  }

  @Test
  void shouldRunTheAgentAloneWhenOptedInWithoutACommandAndUseATemplatesWorkspace() {
    Pod pod =
        injected(
            """
            apiVersion: agents.x-k8s.io/v1beta1
            kind: Sandbox
            metadata: {name: sb, annotations: {agentsandbox.io/agent: "true"}}
            spec:
              podTemplate:
                metadata:
                  annotations: {kubectl.kubernetes.io/default-container: runtime}
                spec:
                  containers:
                  - {name: other, image: o}
                  - name: runtime
                    image: python-runtime
                    ports: [{containerPort: 8888}]
                    volumeMounts: [{name: ws, mountPath: /workspace/}]
                  volumes: [{name: ws, emptyDir: {}}]
            """);
    Container runtime = pod.getSpec().getContainers().get(1);
    assertThat(runtime.getCommand())
        .containsExactly(
            "/.agent-sandbox/agent-sandbox-agent",
            "--listen",
            "tcp:0.0.0.0:8888",
            "--workspace",
            "/workspace");
    assertThat(runtime.getPorts()).hasSize(1); // 8888 declared once
    assertThat(runtime.getVolumeMounts())
        .extracting(VolumeMount::getName)
        .containsExactly("ws", AgentInjection.VOLUME); // the template's workspace, no emptyDir
    assertThat(pod.getSpec().getContainers().get(0).getCommand()).isNullOrEmpty();
  }

  @Test
  void shouldLeaveThePodAloneWhenOptedOutOrNotPossible() {
    // opt-out on the Sandbox, on its pod template
    assertUntouched(
        WITH_COMMAND.replace(
            "metadata: {name: sb}",
            "metadata: {name: sb, annotations: {agentsandbox.io/agent: \"false\"}}"),
        ON);
    assertUntouched(
        WITH_COMMAND.replace(
            "  podTemplate:\n",
            "  podTemplate:\n    metadata: {annotations: {agentsandbox.io/agent: \"false\"}}\n"),
        ON);
    // no command: the image's entrypoint runs untouched unless the Sandbox opts in
    assertUntouched(
        WITH_COMMAND
            .replace("        command: [python3, -m, http.server]\n", "")
            .replace("        args: [\"9000\"]\n", ""),
        ON);
    // args for an entrypoint we cannot see
    assertUntouched(WITH_COMMAND.replace("command: [python3, -m, http.server]", "command: []"), ON);
    // the kept command serves 8888 itself (here: its sidecar declares it)
    assertUntouched(
        WITH_COMMAND.replace("image: side", "image: side\n        ports: [{containerPort: 8888}]"),
        ON);
    // injection off; not opted in while the default is off
    assertUntouched(WITH_COMMAND, new AgentInjection(AgentInjection.Options.disabled()));
    AgentInjection optIn =
        new AgentInjection(AgentInjection.Options.enabled(KEY).withByDefault(false));
    assertUntouched(WITH_COMMAND, optIn);
    Sandbox asked =
        sandbox(
            WITH_COMMAND.replace(
                "metadata: {name: sb}",
                "metadata: {name: sb, annotations: {agentsandbox.io/agent: \"true\"}}"));
    assertThat(AgentInjection.injected(optIn.apply(asked, SandboxResources.pod(asked)))).isTrue();
  }

  private static void assertUntouched(String yaml, AgentInjection injection) {
    Sandbox sb = sandbox(yaml);
    Pod before = SandboxResources.pod(sb);
    Pod after = injection.apply(sb, SandboxResources.pod(sb));
    assertThat(Serialization.asJson(after)).isEqualTo(Serialization.asJson(before));
  }

  @Test
  void shouldBeIdempotent() {
    Sandbox sb = sandbox(WITH_COMMAND);
    Pod once = ON.apply(sb, SandboxResources.pod(sb));
    String json = Serialization.asJson(once);
    assertThat(Serialization.asJson(ON.apply(sb, once))).isEqualTo(json);
  }

  @Test
  void shouldDeriveDistinctSecretsPerSandboxAndKeyAndRefuseShortKeys() {
    AgentSecrets s = new AgentSecrets(KEY);
    assertThat(s.secret("ns", "a")).hasSize(64).matches("[0-9a-f]+");
    assertThat(s.secret("ns", "a")).isEqualTo(new AgentSecrets(KEY.clone()).secret("ns", "a"));
    assertThat(s.secret("ns", "a")).isNotEqualTo(s.secret("ns", "b"));
    assertThat(s.secret("ns", "a")).isNotEqualTo(s.secret("ns2", "a"));
    // "a/b" + "c" and "a" + "b/c" must not collide through the separator... they name different
    // sandboxes only when namespaces may contain '/', which Kubernetes forbids; still distinct here
    assertThat(s.secret("a", "b")).isNotEqualTo(s.secret("a/", "b"));
    byte[] other = KEY.clone();
    other[0] ^= 1;
    assertThat(new AgentSecrets(other).secret("ns", "a")).isNotEqualTo(s.secret("ns", "a"));
    assertThatThrownBy(() -> new AgentSecrets(Arrays.copyOf(KEY, 31)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(s.toString()).doesNotContain("0123");
    assertThat(AgentInjection.Options.enabled(KEY).toString()).doesNotContain("0123");
  }

  @Test
  void shouldLocateInjectedPodsByIpFromTheCacheOnly() {
    Sandbox sb = sandbox(WITH_COMMAND);
    Pod pod = ON.apply(sb, SandboxResources.pod(sb));
    Map<String, Pod> cache = new java.util.HashMap<>();
    KubernetesAgentLocator locator =
        new KubernetesAgentLocator((ns, name) -> cache.get(ns + "/" + name), ON.secrets());
    SandboxRef ref =
        new SandboxRef(
            "sb", new PoolKey("ns", "pool"), RuntimeClass.of("gvisor"), List.of(), "kubernetes");
    assertThat(locator.locate(ref)).as("no pod").isNull();
    cache.put("ns/sb", pod);
    assertThat(locator.locate(ref)).as("no IP yet").isNull();
    pod.setStatus(new PodStatus());
    pod.getStatus().setPodIP("10.88.0.7");
    AgentEndpoint e = locator.locate(ref);
    assertThat(e.host()).isEqualTo("10.88.0.7");
    assertThat(e.port()).isEqualTo(8888);
    assertThat(e.secret()).isEqualTo(ON.secrets().secret("ns", "sb"));
    assertThat(e.secret())
        .isEqualTo(
            pod.getSpec().getContainers().get(0).getEnv().stream()
                .filter(v -> v.getName().equals(AgentInjection.SECRET_ENV))
                .findFirst()
                .orElseThrow()
                .getValue());
    pod.getMetadata().setDeletionTimestamp("2026-01-01T00:00:00Z");
    assertThat(locator.locate(ref)).as("being deleted").isNull();
    Pod plain = SandboxResources.pod(sb);
    plain.setStatus(pod.getStatus());
    cache.put("ns/sb", plain);
    assertThat(locator.locate(ref)).as("not injected").isNull();
    cache.put("ns/sb", pod);
    pod.getMetadata().setDeletionTimestamp(null);
    assertThat(new KubernetesAgentLocator((ns, name) -> pod, null).locate(ref))
        .as("injection off")
        .isNull();
  }
}
