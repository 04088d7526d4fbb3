package io.agentsandbox.k8s.agent;

import io.agentsandbox.core.model.AgentEndpoint;
import io.agentsandbox.k8s.crd.AgentSandboxAnnotations;
import io.agentsandbox.k8s.crd.Sandbox;
import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * Puts the in-sandbox agent ({@code agent/}) into the pods the controller creates for Sandboxes:
 *
 * <ul>
 *   <li>an init container ({@value #INIT_CONTAINER}, image {@link Options#image}) copies the static
 *       binary into an emptyDir ({@value #VOLUME}) with {@code agent-sandbox-agent --install-to};
 *       it runs as uid 65534 with a read-only root filesystem, no privilege escalation and no
 *       capabilities, and with the workload container's resources (so the pod's QoS class and
 *       effective requests do not change);
 *   <li>the workload container (the pod's {@code kubectl.kubernetes.io/default-container}, else its
 *       first) mounts that volume read-only at {@value #MOUNT} and its command becomes {@code
 *       [agent, --listen, tcp:0.0.0.0:8888, --workspace, /workspace, --, command..., args...]}: the
 *       agent starts first and runs the template's command as its child (signals forwarded, its
 *       exit code the container's). A container with no {@code command} runs its image's entrypoint
 *       untouched (no agent) unless the Sandbox opts in explicitly; then it keeps no entrypoint:
 *       the image's entrypoint cannot be known without a registry, so the agent runs alone and
 *       serves upstream's runtime API on 8888 (what upstream's python-runtime entrypoint serves);
 *   <li>the secret the agent checks ({@link AgentSecrets}) in the container's env {@value
 *       #SECRET_ENV} (the agent removes it from its own environment at start-up);
 *   <li>{@code /workspace}: the template's own volume when the container mounts one there, else an
 *       emptyDir ({@value #WORKSPACE_VOLUME}) mounted there (writable by any user and with a
 *       read-only root filesystem; it hides what the image has at {@code /workspace});
 *   <li>the pod annotation {@value #PORT_ANNOTATION} (the agent's port), which tells {@link
 *       KubernetesAgentLocator} (and so the router and the executor) that an agent listens.
 * </ul>
 *
 * <p>Left untouched (no agent; exec falls back to {@code pods/exec}): injection disabled; a Sandbox
 * that opts out with the annotation {@value #ANNOTATION}{@code : "false"} on its metadata or its
 * pod template (the SandboxTemplate's own metadata annotation is copied to the Sandboxes built from
 * it), or that does not opt in ({@code "true"}) when {@link Options#byDefault} is off; a workload
 * container with {@code args} but no {@code command} (its args belong to the image's entrypoint); a
 * pod whose containers already declare port 8888 while the template's command is kept (the template
 * serves that port itself). Stateless apart from its options; thread-safe.
 */
public final class AgentInjection {

  /** On a Sandbox, its pod template or a SandboxTemplate: {@code "false"} opts out. */
  public static final String ANNOTATION = AgentSandboxAnnotations.AGENT;

  /** On an injected pod: the port the agent listens on. */
  public static final String PORT_ANNOTATION = AgentSandboxAnnotations.PREFIX + "agent-port";

  public static final String INIT_CONTAINER = "agent-sandbox-agent-install";
  public static final String VOLUME = "agent-sandbox-agent";
  public static final String WORKSPACE_VOLUME = "agent-sandbox-workspace";
  public static final String MOUNT = "/.agent-sandbox";
  public static final String BINARY = MOUNT + "/agent-sandbox-agent";
  public static final String WORKSPACE = "/workspace";
  public static final String SECRET_ENV = "AGENT_SANDBOX_SECRET";
  public static final int PORT = AgentEndpoint.RUNTIME_PORT;

  static final String DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container";
  private static final long NOBODY = 65534L;
  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  /**
   * Settings.
   *
   * @param key the agent key the per-sandbox secrets are derived from, or null: injection off
   * @param image the agent image (holds the static binary at {@code /agent-sandbox-agent})
   * @param imagePullPolicy the init container's pull policy ({@code IfNotPresent} by default)
   * @param byDefault inject unless a Sandbox opts out; false: only Sandboxes that opt in
   */
  public record Options(byte[] key, String image, String imagePullPolicy, boolean byDefault) {
    public Options {
      Objects.requireNonNull(image, "image");
      Objects.requireNonNull(imagePullPolicy, "imagePullPolicy");
      if (key != null) {
        new AgentSecrets(key); // checks the length
        key = key.clone();
      }
    }

    /** No injection. */
    public static Options disabled() {
      return new Options(null, defaultImage(), "IfNotPresent", true);
    }

    /** Injection into every pod that does not opt out, with the default image. */
    public static Options enabled(byte[] key) {
      return new Options(Objects.requireNonNull(key, "key"), defaultImage(), "IfNotPresent", true);
    }

    public boolean isEnabled() {
      return key != null;
    }

    public Options withImage(String i) {
      return new Options(key, i, imagePullPolicy, byDefault);
    }

    public Options withByDefault(boolean b) {
      return new Options(key, image, imagePullPolicy, b);
    }

    @Override
    public String toString() {
      return "AgentInjection.Options[enabled="
          + isEnabled()
          + ", image="
          + image
          + ", byDefault="
          + byDefault
          + "]"; // NOTE: never print the key
    }
  }

  /** {@code localhost/agent-sandbox-agent:<project version>}. */
  public static String defaultImage() {
    return "localhost/agent-sandbox-agent:" + projectVersion();
  }

  static String projectVersion() {
    Properties p = new Properties();
    try (InputStream in = AgentInjection.class.getResourceAsStream("agent.properties")) {
      if (in != null) p.load(in);
    } catch (IOException e) {
      // fall through to "dev"
    }
    String v = p.getProperty("version");
    return v == null || v.isEmpty() || v.startsWith("$") ? "dev" : v;
  }

  private final Options options;
  private final AgentSecrets secrets;

  public AgentInjection(Options options) {
    this.options = Objects.requireNonNull(options, "options");
    this.secrets = options.isEnabled() ? new AgentSecrets(options.key()) : null;
  }

  public Options options() {
    return options;
  }

  /** The secrets of injected agents, or null when injection is off. */
  public AgentSecrets secrets() {
    return secrets;
  }

  /** True when the controller would put an agent into this Sandbox's pod (options and opt-out). */
  public boolean wanted(Sandbox sandbox) {
    if (!options.isEnabled()) return false;
    String v = choice(sandbox);
    if ("false".equals(v)) return false;
    if ("true".equals(v)) return true;
    return options.byDefault();
  }

  /** The Sandbox's (or its pod template's) {@value #ANNOTATION} annotation, or null. */
  private static String choice(Sandbox sandbox) {
    String v = annotation(sandbox.getMetadata().getAnnotations());
    if (v == null
        && sandbox.getSpec() != null
        && sandbox.getSpec().getPodTemplate() != null
        && sandbox.getSpec().getPodTemplate().getMetadata() != null)
      v = annotation(sandbox.getSpec().getPodTemplate().getMetadata().getAnnotations());
    return v;
  }

  private static String annotation(Map<String, String> a) {
    return a == null ? null : a.get(ANNOTATION);
  }

  /** True when {@code pod} carries an injected agent ({@value #PORT_ANNOTATION}). */
  public static boolean injected(Pod pod) {
    return agentPort(pod) > 0;
  }

  /** The injected agent's port, or 0. */
  public static int agentPort(Pod pod) {
    Map<String, String> a = pod == null ? null : pod.getMetadata().getAnnotations();
    String v = a == null ? null : a.get(PORT_ANNOTATION);
    if (v == null) return 0;
    try {
      int p = Integer.parseInt(v);
      return p > 0 && p <= 65535 ? p : 0;
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /**
   * Injects the agent into {@code pod} (the controller's own copy, built from {@code sandbox}) when
   * wanted and possible; returns it. Idempotent.
   */
  public Pod apply(Sandbox sandbox, Pod pod) {
    if (!wanted(sandbox) || injected(pod)) return pod;
    PodSpec spec = pod.getSpec();
    Container work = workload(pod);
    if (work == null) return pod;
    List<String> command = work.getCommand() == null ? List.of() : work.getCommand();
    List<String> args = work.getArgs() == null ? List.of() : work.getArgs();
    if (command.isEmpty() && !args.isEmpty()) return pod; // args for an entrypoint we cannot see
    // No command: the image's entrypoint runs, which we cannot see without a registry. Only an
    // explicit opt-in replaces it with the agent alone (right for upstream's python-runtime image,
    // whose entrypoint serves the runtime API the agent serves).
    if (command.isEmpty() && !"true".equals(choice(sandbox))) return pod;
    if (declaresAgentPort(spec, command.isEmpty() ? work : null)) return pod;

    List<Volume> volumes = spec.getVolumes() == null ? new ArrayList<>() : spec.getVolumes();
    volumes.add(new VolumeBuilder().withName(VOLUME).withNewEmptyDir().endEmptyDir().build());
    List<VolumeMount> mounts =
        work.getVolumeMounts() == null ? new ArrayList<>() : work.getVolumeMounts();
    mounts.add(
        new VolumeMountBuilder().withName(VOLUME).withMountPath(MOUNT).withReadOnly(true).build());
    if (mounts.stream().noneMatch(m -> WORKSPACE.equals(trimSlash(m.getMountPath())))) {
      volumes.add(
          new VolumeBuilder().withName(WORKSPACE_VOLUME).withNewEmptyDir().endEmptyDir().build());
      mounts.add(
          new VolumeMountBuilder().withName(WORKSPACE_VOLUME).withMountPath(WORKSPACE).build());
    }
    spec.setVolumes(volumes);
    work.setVolumeMounts(mounts);

    List<Container> inits =
        spec.getInitContainers() == null ? new ArrayList<>() : spec.getInitContainers();
    inits.add(0, initContainer(work));
    spec.setInitContainers(inits);

    List<String> wrapped =
        new ArrayList<>(
            List.of(BINARY, "--listen", "tcp:0.0.0.0:" + PORT, "--workspace", WORKSPACE));
    if (!command.isEmpty()) {
      wrapped.add("--");
      wrapped.addAll(command);
      wrapped.addAll(args);
    }
    work.setCommand(wrapped);
    work.setArgs(null);

    List<EnvVar> env = new ArrayList<>();
    if (work.getEnv() != null)
      for (EnvVar e : work.getEnv()) if (!SECRET_ENV.equals(e.getName())) env.add(e);
    env.add(
        new EnvVar(
            SECRET_ENV,
            secrets.secret(pod.getMetadata().getNamespace(), pod.getMetadata().getName()),
            null));
    work.setEnv(env);

    List<ContainerPort> ports = work.getPorts() == null ? new ArrayList<>() : work.getPorts();
    if (ports.stream().noneMatch(p -> p.getContainerPort() != null && p.getContainerPort() == PORT))
      ports.add(
          new ContainerPortBuilder()
              .withName("agent-sandbox")
              .withContainerPort(PORT)
              .withProtocol("TCP")
              .build());
    work.setPorts(ports);

    Map<String, String> annotations =
        pod.getMetadata().getAnnotations() == null
            ? new LinkedHashMap<>()
            : new LinkedHashMap<>(pod.getMetadata().getAnnotations());
    annotations.put(PORT_ANNOTATION, String.valueOf(PORT));
    pod.getMetadata().setAnnotations(annotations);
    return pod;
  }

  private Container initContainer(Container work) {
    return new ContainerBuilder()
        .withName(INIT_CONTAINER)
        .withImage(options.image())
        .withImagePullPolicy(options.imagePullPolicy())
        .withCommand("/agent-sandbox-agent", "--install-to", BINARY)
        .withResources(work.getResources() == null ? null : JSON.clone(work.getResources()))
        .withVolumeMounts(new VolumeMountBuilder().withName(VOLUME).withMountPath(MOUNT).build())
        .withSecurityContext(
            new SecurityContextBuilder()
                .withRunAsUser(NOBODY)
                .withRunAsGroup(NOBODY)
                .withRunAsNonRoot(true)
                .withReadOnlyRootFilesystem(true)
                .withAllowPrivilegeEscalation(false)
                .withCapabilities(new Capabilities(null, List.of("ALL")))
                .build())
        .build();
  }

  /** The container {@code kubectl exec} picks: the default-container annotation, else the first. */
  static Container workload(Pod pod) {
    List<Container> cs = pod.getSpec().getContainers();
    if (cs == null || cs.isEmpty()) return null;
    Map<String, String> a = pod.getMetadata().getAnnotations();
    String name = a == null ? null : a.get(DEFAULT_CONTAINER_ANNOTATION);
    if (name != null) for (Container c : cs) if (name.equals(c.getName())) return c;
    return cs.get(0);
  }

  /** True when a container other than {@code replaced} already declares the agent's port. */
  private static boolean declaresAgentPort(PodSpec spec, Container replaced) {
    List<Container> all = new ArrayList<>(spec.getContainers());
    if (spec.getInitContainers() != null) all.addAll(spec.getInitContainers());
    for (Container c : all) {
      if (c == replaced || c.getPorts() == null) continue;
      for (ContainerPort p : c.getPorts())
        if (p.getContainerPort() != null && p.getContainerPort() == PORT) return true;
    }
    return false;
  }

  private static String trimSlash(String p) {
    return p != null && p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
  }
}
