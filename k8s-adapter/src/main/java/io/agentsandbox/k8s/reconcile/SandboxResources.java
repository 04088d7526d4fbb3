package io.agentsandbox.k8s.reconcile;

import io.agentsandbox.k8s.crd.PersistentVolumeClaimTemplate;
import io.agentsandbox.k8s.crd.PodMetadata;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.UpstreamKeys;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimSpec;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Pure functions from a Sandbox to the objects it owns: the Pod (same name), the headless Service
 * (same name) and one PVC per volume claim template ({@code <vct>-<sandbox>}), each with a
 * controller owner reference and the {@code agents.x-k8s.io/sandbox-name-hash} label. Stateless;
 * never mutates its input (the Sandbox may come from an informer cache).
 */
public final class SandboxResources {

  /** Labels of the Sandbox that are kept in sync on its pod (pool membership, template, claim). */
  static final List<String> SYNCED_SANDBOX_LABELS =
      List.of(
          UpstreamKeys.WARM_POOL_SANDBOX, UpstreamKeys.SANDBOX_TEMPLATE_REF_HASH,
          UpstreamKeys.SANDBOX_TEMPLATE_HASH, UpstreamKeys.SANDBOX_POD_TEMPLATE_HASH,
          UpstreamKeys.CREATED_BY, UpstreamKeys.CLAIM_UID);

  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  private SandboxResources() {}

  /** The controller owner reference pointing at {@code sandbox}. */
  public static OwnerReference ownerReference(Sandbox sandbox) {
    return ControllerRefs.to(
        sandbox.getApiVersion() == null
            ? Sandbox.GROUP + "/" + Sandbox.VERSION
            : sandbox.getApiVersion(),
        "Sandbox",
        sandbox);
  }

  /** True when {@code obj}'s controller is this sandbox (by UID). */
  public static boolean isControlledBy(HasMetadata obj, Sandbox sandbox) {
    return ControllerRefs.isControlledBy(obj, sandbox);
  }

  /** {@code <vct>-<sandbox>}. */
  public static String pvcName(String vctName, String sandboxName) {
    return vctName + "-" + sandboxName;
  }

  /** The Service selector / status selector: {@code agents.x-k8s.io/sandbox-name-hash=<hash>}. */
  public static String selector(Sandbox sandbox) {
    return UpstreamKeys.SANDBOX_NAME_HASH
        + "="
        + UpstreamKeys.nameHash(sandbox.getMetadata().getName());
  }

  /**
   * The pod to create: the pod template's spec (deep copy) with secure defaults ({@code
   * automountServiceAccountToken: false} unless set, and {@link PodHardening}'s seccomp and
   * capability defaults) and the PVC volumes; the template's labels and annotations minus
   * system-reserved keys, plus the name-hash label and the Sandbox's synced labels.
   */
  public static Pod pod(Sandbox sandbox) {
    String name = sandbox.getMetadata().getName();
    PodSpec spec = JSON.clone(sandbox.getSpec().getPodTemplate().getSpec());
    if (spec.getAutomountServiceAccountToken() == null) spec.setAutomountServiceAccountToken(false);
    PodHardening.apply(spec);
    List<PersistentVolumeClaimTemplate> vcts = sandbox.getSpec().getVolumeClaimTemplates();
    if (vcts != null && !vcts.isEmpty()) {
      List<Volume> volumes = new ArrayList<>();
      Set<String> vctNames = new LinkedHashSet<>();
      for (PersistentVolumeClaimTemplate v : vcts) vctNames.add(v.getMetadata().getName());
      if (spec.getVolumes() != null) {
        for (Volume v : spec.getVolumes()) {
          if (!vctNames.contains(v.getName()))
            volumes.add(v); // StatefulSet semantics: the claim wins
        }
      }
      for (String vct : vctNames) {
        volumes.add(
            new VolumeBuilder()
                .withName(vct)
                .withNewPersistentVolumeClaim()
                .withClaimName(pvcName(vct, name))
                .endPersistentVolumeClaim()
                .build());
      }
      spec.setVolumes(volumes);
    }
    PodMetadata tm = sandbox.getSpec().getPodTemplate().getMetadata();
    Map<String, String> labels = userKeys(tm == null ? null : tm.getLabels());
    Map<String, String> annotations = userKeys(tm == null ? null : tm.getAnnotations());
    if (!labels.isEmpty())
      annotations.put(UpstreamKeys.PROPAGATED_LABELS, String.join(",", labels.keySet()));
    if (annotations.size() > (labels.isEmpty() ? 0 : 1)) {
      List<String> keys = new ArrayList<>(annotations.keySet());
      keys.remove(UpstreamKeys.PROPAGATED_LABELS);
      annotations.put(UpstreamKeys.PROPAGATED_ANNOTATIONS, String.join(",", keys));
    }
    labels.put(UpstreamKeys.SANDBOX_NAME_HASH, UpstreamKeys.nameHash(name));
    Map<String, String> sandboxLabels = sandbox.getMetadata().getLabels();
    if (sandboxLabels != null) {
      for (String k : SYNCED_SANDBOX_LABELS) {
        if (sandboxLabels.containsKey(k)) labels.put(k, sandboxLabels.get(k));
      }
    }
    Pod pod = new Pod();
    pod.setMetadata(meta(sandbox, name, labels, annotations));
    pod.setSpec(spec);
    return pod;
  }

  /**
   * The headless Service ({@code clusterIP: None}) named after the sandbox, selecting its pod by
   * the name-hash label. Ports come from the containers and restartable init containers,
   * deduplicated by (port, protocol); an unnamed port is called {@code p-<port>-<proto>}.
   */
  public static Service service(Sandbox sandbox) {
    String name = sandbox.getMetadata().getName();
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(UpstreamKeys.SANDBOX_NAME_HASH, UpstreamKeys.nameHash(name));
    PodSpec spec = sandbox.getSpec().getPodTemplate().getSpec();
    List<Container> containers = new ArrayList<>();
    if (spec.getContainers() != null) containers.addAll(spec.getContainers());
    if (spec.getInitContainers() != null) {
      for (Container c : spec.getInitContainers()) {
        if ("Always".equals(c.getRestartPolicy())) containers.add(c);
      }
    }
    Map<String, ServicePort> ports = new LinkedHashMap<>();
    for (Container c : containers) {
      if (c.getPorts() == null) continue;
      for (ContainerPort p : c.getPorts()) {
        String proto = p.getProtocol() == null ? "TCP" : p.getProtocol();
        String key = p.getContainerPort() + "/" + proto;
        if (ports.containsKey(key)) continue;
        String portName =
            p.getName() != null && !p.getName().isEmpty()
                ? p.getName()
                : "p-" + p.getContainerPort() + "-" + proto.toLowerCase(Locale.ROOT);
        ports.put(
            key,
            new ServicePortBuilder()
                .withName(portName)
                .withPort(p.getContainerPort())
                .withProtocol(proto)
                .withNewTargetPort(p.getContainerPort())
                .build());
      }
    }
    return new ServiceBuilder()
        .withMetadata(meta(sandbox, name, labels, new LinkedHashMap<>()))
        .withNewSpec()
        .withClusterIP("None")
        .withSelector(Map.of(UpstreamKeys.SANDBOX_NAME_HASH, UpstreamKeys.nameHash(name)))
        .withPorts(new ArrayList<>(ports.values()))
        .endSpec()
        .build();
  }

  /** One PVC per volume claim template, named {@code <vct>-<sandbox>}; empty without templates. */
  public static List<PersistentVolumeClaim> pvcs(Sandbox sandbox) {
    List<PersistentVolumeClaimTemplate> vcts = sandbox.getSpec().getVolumeClaimTemplates();
    if (vcts == null || vcts.isEmpty()) return List.of();
    String name = sandbox.getMetadata().getName();
    List<PersistentVolumeClaim> out = new ArrayList<>();
    for (PersistentVolumeClaimTemplate v : vcts) {
      Map<String, String> labels = userKeys(v.getMetadata().getLabels());
      labels.put(UpstreamKeys.SANDBOX_NAME_HASH, UpstreamKeys.nameHash(name));
      Map<String, String> annotations =
          v.getMetadata().getAnnotations() == null
              ? new LinkedHashMap<>()
              : new LinkedHashMap<>(v.getMetadata().getAnnotations());
      PersistentVolumeClaimSpec spec =
          v.getSpec() == null ? new PersistentVolumeClaimSpec() : JSON.clone(v.getSpec());
      out.add(
          new PersistentVolumeClaimBuilder()
              .withMetadata(
                  meta(sandbox, pvcName(v.getMetadata().getName(), name), labels, annotations))
              .withSpec(spec)
              .build());
    }
    return out;
  }

  private static ObjectMeta meta(
      Sandbox sandbox, String name, Map<String, String> labels, Map<String, String> annotations) {
    ObjectMeta m = new ObjectMeta();
    m.setName(name);
    m.setNamespace(sandbox.getMetadata().getNamespace());
    m.setLabels(labels);
    if (!annotations.isEmpty()) m.setAnnotations(annotations);
    m.setOwnerReferences(List.of(ownerReference(sandbox)));
    return m;
  }

  private static Map<String, String> userKeys(Map<String, String> in) {
    Map<String, String> out = new LinkedHashMap<>();
    if (in == null) return out;
    for (Map.Entry<String, String> e : in.entrySet()) {
      if (!UpstreamKeys.isSystemReserved(e.getKey())) out.put(e.getKey(), e.getValue());
    }
    return out;
  }
}
