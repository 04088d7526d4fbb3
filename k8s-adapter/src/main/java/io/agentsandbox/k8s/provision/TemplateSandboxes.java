package io.agentsandbox.k8s.provision;

import io.agentsandbox.k8s.crd.AgentSandboxAnnotations;
import io.agentsandbox.k8s.crd.InjectionPolicy;
import io.agentsandbox.k8s.crd.PersistentVolumeClaimTemplate;
import io.agentsandbox.k8s.crd.PodMetadata;
import io.agentsandbox.k8s.crd.PodTemplate;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.crd.SandboxClaimSpec;
import io.agentsandbox.k8s.crd.SandboxSpec;
import io.agentsandbox.k8s.crd.SandboxTemplate;
import io.agentsandbox.k8s.crd.UpstreamKeys;
import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SeccompProfile;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pure functions from a {@code SandboxTemplate} to the Sandboxes built from it: warm-pool members
 * and claim-named cold Sandboxes, both from the template's FULL blueprint (every container, init
 * container, volume, security context, volume claim template and {@code service}), with secure
 * defaults, upstream's labels and annotations, the blueprint hash used for staleness, and the
 * claim-time injections ({@code env}, {@code volumeClaimTemplates}, {@code additionalPodMetadata})
 * checked against the template's policies. Stateless; never mutates its inputs (they may come from
 * an informer cache).
 */
public final class TemplateSandboxes {

  /** Upstream's claim reasons for rejected claim-time injections. */
  public static final String REASON_ENV_REJECTED = "EnvVarsInjectionRejected";

  public static final String REASON_VCT_ERROR = "VolumeClaimTemplatesError";
  public static final String REASON_INVALID_METADATA = "InvalidMetadata";

  /**
   * Default allow-list of label domains for {@code additionalPodMetadata.labels} (upstream's
   * default).
   */
  public static final Set<String> DEFAULT_LABEL_DOMAINS = Set.of("sandbox.users.io");

  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  /** A claim-time injection the template's policy (or upstream's rules) does not allow. */
  public static final class RejectedClaim extends IllegalArgumentException {
    private final String reason;

    public RejectedClaim(String reason, String message) {
      super(message);
      this.reason = reason;
    }

    /** Upstream's condition reason. */
    public String reason() {
      return reason;
    }
  }

  private TemplateSandboxes() {}

  /**
   * The template's pod spec (deep copy) with secure defaults where the template says nothing:
   * {@code automountServiceAccountToken: false}; pod {@code seccompProfile: RuntimeDefault}; per
   * container (and init container) {@code allowPrivilegeEscalation: false} and capabilities {@code
   * drop: [ALL]}. A template that sets any of these keeps its own value.
   */
  public static PodSpec securePodSpec(PodSpec in) {
    PodSpec spec = JSON.clone(in);
    if (spec.getAutomountServiceAccountToken() == null) spec.setAutomountServiceAccountToken(false);
    PodSecurityContext psc =
        spec.getSecurityContext() == null ? new PodSecurityContext() : spec.getSecurityContext();
    if (psc.getSeccompProfile() == null)
      psc.setSeccompProfile(new SeccompProfile(null, "RuntimeDefault"));
    spec.setSecurityContext(psc);
    List<Container> all = new ArrayList<>();
    if (spec.getContainers() != null) all.addAll(spec.getContainers());
    if (spec.getInitContainers() != null) all.addAll(spec.getInitContainers());
    for (Container c : all) {
      SecurityContext sc =
          c.getSecurityContext() == null ? new SecurityContext() : c.getSecurityContext();
      boolean privileged = Boolean.TRUE.equals(sc.getPrivileged());
      if (sc.getAllowPrivilegeEscalation() == null && !privileged)
        sc.setAllowPrivilegeEscalation(false);
      if (sc.getCapabilities() == null && !privileged)
        sc.setCapabilities(new Capabilities(null, List.of("ALL")));
      c.setSecurityContext(sc);
    }
    return spec;
  }

  /**
   * Upstream's blueprint hash (label {@code sandbox-template-hash}): NameHash of the effective
   * blueprint (pod spec after secure defaults, VCT names and specs, {@code service}). Metadata-only
   * edits of the template leave it unchanged.
   */
  public static String blueprintHash(SandboxTemplate t) {
    Map<String, Object> bp = new LinkedHashMap<>();
    bp.put("podTemplate", Map.of("spec", securePodSpec(podSpecOf(t))));
    List<Object> vcts = new ArrayList<>();
    if (t.getSpec().getVolumeClaimTemplates() != null) {
      for (PersistentVolumeClaimTemplate v : t.getSpec().getVolumeClaimTemplates()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", v.getMetadata() == null ? null : v.getMetadata().getName());
        m.put("spec", v.getSpec());
        vcts.add(m);
      }
    }
    bp.put("volumeClaimTemplates", vcts);
    bp.put("service", t.getSpec().getService());
    return UpstreamKeys.nameHash(JSON.asJson(bp));
  }

  private static PodSpec podSpecOf(SandboxTemplate t) {
    if (t.getSpec() == null
        || t.getSpec().getPodTemplate() == null
        || t.getSpec().getPodTemplate().getSpec() == null) {
      throw new IllegalArgumentException(
          "template "
              + t.getMetadata().getNamespace()
              + "/"
              + t.getMetadata().getName()
              + " has no spec.podTemplate.spec");
    }
    return t.getSpec().getPodTemplate().getSpec();
  }

  /**
   * A warm-pool member: {@code <pool>-xxxxx}, the template's full blueprint, pool / template-ref /
   * blueprint-hash labels, {@code created-by=controller}, {@code safe-to-evict} on the pod
   * template; owner set by the caller.
   */
  public static Sandbox poolMember(
      String namespace, String poolName, String sandboxName, SandboxTemplate t) {
    String hash = blueprintHash(t);
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(UpstreamKeys.WARM_POOL_SANDBOX, UpstreamKeys.nameHash(poolName));
    labels.put(
        UpstreamKeys.SANDBOX_TEMPLATE_REF_HASH, UpstreamKeys.nameHash(t.getMetadata().getName()));
    labels.put(UpstreamKeys.SANDBOX_TEMPLATE_HASH, hash);
    labels.put(UpstreamKeys.SANDBOX_POD_TEMPLATE_HASH, hash);
    labels.put(UpstreamKeys.CREATED_BY, "controller");
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put(UpstreamKeys.SANDBOX_TEMPLATE_REF, t.getMetadata().getName());
    annotations.put(Fabric8SandboxProvisioner.POOL_ANNOTATION, namespace + "/" + poolName);
    copyAgentChoice(t, annotations);
    PodMetadata podMeta = templatePodMetadata(t);
    podMeta.getAnnotations().put(UpstreamKeys.SAFE_TO_EVICT, "true");
    return sandbox(
        namespace,
        sandboxName,
        labels,
        annotations,
        podMeta,
        securePodSpec(podSpecOf(t)),
        copyVcts(t.getSpec().getVolumeClaimTemplates()),
        t.getSpec().getService());
  }

  /**
   * Upstream's cold path: a Sandbox named after the claim, owned by it, from the template's
   * blueprint plus the claim's {@code env}, {@code volumeClaimTemplates} and {@code
   * additionalPodMetadata} (each checked against the template's policies), labels {@code
   * claim-uid}, {@code launch-type=cold}, {@code sandbox-template-ref-hash}.
   *
   * @throws RejectedClaim with upstream's reason when an injection is not allowed
   */
  public static Sandbox coldForClaim(
      SandboxClaim claim, SandboxTemplate t, OwnerReference owner, Set<String> labelDomains) {
    SandboxClaimSpec cs = claim.getSpec();
    PodSpec spec = securePodSpec(podSpecOf(t));
    injectEnv(spec, cs.getEnv(), t.getSpec().getEnvVarsInjectionPolicy());
    List<PersistentVolumeClaimTemplate> vcts =
        mergeVcts(
            t.getSpec().getVolumeClaimTemplates(),
            cs.getVolumeClaimTemplates(),
            t.getSpec().getVolumeClaimTemplatesPolicy());
    PodMetadata podMeta = templatePodMetadata(t);
    Map<String, String> extraLabels = new LinkedHashMap<>();
    Map<String, String> extraAnnotations = new LinkedHashMap<>();
    additionalPodMetadata(claim, t, labelDomains, extraLabels, extraAnnotations);
    podMeta.getLabels().putAll(extraLabels);
    podMeta.getAnnotations().putAll(extraAnnotations);
    podMeta.getLabels().put(UpstreamKeys.CLAIM_UID, claim.getMetadata().getUid());
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(UpstreamKeys.CLAIM_UID, claim.getMetadata().getUid());
    labels.put(UpstreamKeys.LAUNCH_TYPE, "cold");
    labels.put(
        UpstreamKeys.SANDBOX_TEMPLATE_REF_HASH, UpstreamKeys.nameHash(t.getMetadata().getName()));
    labels.put(UpstreamKeys.CREATED_BY, createdBy(claim));
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put(UpstreamKeys.SANDBOX_TEMPLATE_REF, t.getMetadata().getName());
    copyAgentChoice(t, annotations);
    Sandbox s =
        sandbox(
            claim.getMetadata().getNamespace(),
            claim.getMetadata().getName(),
            labels,
            annotations,
            podMeta,
            spec,
            vcts,
            t.getSpec().getService());
    s.getMetadata().setOwnerReferences(List.of(owner));
    return s;
  }

  /** The template's {@code agentsandbox.io/agent} choice (opt-out/in), onto its Sandboxes. */
  private static void copyAgentChoice(SandboxTemplate t, Map<String, String> annotations) {
    Map<String, String> ta = t.getMetadata().getAnnotations();
    if (ta != null && ta.containsKey(AgentSandboxAnnotations.AGENT))
      annotations.put(AgentSandboxAnnotations.AGENT, ta.get(AgentSandboxAnnotations.AGENT));
  }

  /**
   * The claim's {@code created-by} label normalised as upstream does ({@code unknown} for other
   * values).
   */
  static String createdBy(SandboxClaim claim) {
    Map<String, String> l = claim.getMetadata().getLabels();
    String v = l == null ? null : l.get(UpstreamKeys.CREATED_BY);
    if (v == null) return "controller";
    return switch (v) {
      case "go-client", "python-client", "controller" -> v;
      default -> "unknown";
    };
  }

  /**
   * Checks {@code spec.additionalPodMetadata} as upstream does and puts the accepted keys into
   * {@code labels} / {@code annotations}: labels need a domain prefix from {@code labelDomains} (or
   * a subdomain of one); annotations under {@code kubernetes.io}, {@code k8s.io} and {@code
   * agents.x-k8s.io} are refused except {@code cluster-autoscaler.kubernetes.io/safe-to-evict}; a
   * value that differs from the template's pod metadata is refused.
   *
   * @throws RejectedClaim reason {@code InvalidMetadata}, naming the key
   */
  public static void additionalPodMetadata(
      SandboxClaim claim,
      SandboxTemplate t,
      Set<String> labelDomains,
      Map<String, String> labels,
      Map<String, String> annotations) {
    PodMetadata add = claim.getSpec() == null ? null : claim.getSpec().getAdditionalPodMetadata();
    if (add == null) return;
    PodMetadata tm =
        t == null || t.getSpec() == null || t.getSpec().getPodTemplate() == null
            ? null
            : t.getSpec().getPodTemplate().getMetadata();
    if (add.getLabels() != null) {
      for (Map.Entry<String, String> e : add.getLabels().entrySet()) {
        String k = e.getKey();
        String domain = k.indexOf('/') < 0 ? null : k.substring(0, k.indexOf('/'));
        if (domain == null || !allowedDomain(domain, labelDomains)) {
          throw new RejectedClaim(
              REASON_INVALID_METADATA,
              "spec.additionalPodMetadata.labels: '"
                  + k
                  + "' needs a domain prefix from the allow-list "
                  + labelDomains);
        }
        conflict("labels", k, e.getValue(), tm == null ? null : tm.getLabels());
        labels.put(k, e.getValue());
      }
    }
    if (add.getAnnotations() != null) {
      for (Map.Entry<String, String> e : add.getAnnotations().entrySet()) {
        String k = e.getKey();
        String domain = k.indexOf('/') < 0 ? "" : k.substring(0, k.indexOf('/'));
        boolean reserved =
            isUnder(domain, "kubernetes.io")
                || isUnder(domain, "k8s.io")
                || isUnder(domain, "agents.x-k8s.io");
        if (reserved && !UpstreamKeys.SAFE_TO_EVICT.equals(k)) {
          throw new RejectedClaim(
              REASON_INVALID_METADATA,
              "spec.additionalPodMetadata.annotations: '"
                  + k
                  + "' is under a reserved domain (kubernetes.io, k8s.io, agents.x-k8s.io)");
        }
        conflict("annotations", k, e.getValue(), tm == null ? null : tm.getAnnotations());
        annotations.put(k, e.getValue());
      }
    }
  }

  private static void conflict(
      String what, String key, String value, Map<String, String> template) {
    if (template != null && template.containsKey(key) && !template.get(key).equals(value)) {
      throw new RejectedClaim(
          REASON_INVALID_METADATA,
          "spec.additionalPodMetadata."
              + what
              + ": '"
              + key
              + "' conflicts with the template's value '"
              + template.get(key)
              + "'");
    }
  }

  private static boolean allowedDomain(String domain, Set<String> allowed) {
    for (String a : allowed) if (isUnder(domain, a)) return true;
    return false;
  }

  private static boolean isUnder(String domain, String parent) {
    return domain.equals(parent) || domain.endsWith("." + parent);
  }

  private static RejectedClaim envRejected(
      SandboxClaimSpec.EnvVar e, Container target, String why) {
    return new RejectedClaim(
        REASON_ENV_REJECTED,
        "spec.env[" + e.getName() + "]: container '" + target.getName() + "' " + why);
  }

  /** Upstream's env injection: entries without a container name go to the first container. */
  static void injectEnv(PodSpec spec, List<SandboxClaimSpec.EnvVar> env, InjectionPolicy policy) {
    if (env == null || env.isEmpty()) return;
    InjectionPolicy p = policy == null ? InjectionPolicy.Disallowed : policy;
    if (p == InjectionPolicy.Disallowed) {
      throw new RejectedClaim(
          REASON_ENV_REJECTED,
          "spec.env: the template's envVarsInjectionPolicy is Disallowed (set Allowed or Overrides on the SandboxTemplate)");
    }
    for (SandboxClaimSpec.EnvVar e : env) {
      Container target = null;
      if (e.getContainerName() == null || e.getContainerName().isEmpty()) {
        target = spec.getContainers().get(0);
      } else {
        for (Container c : spec.getContainers())
          if (e.getContainerName().equals(c.getName())) target = c;
        if (target == null) {
          throw new RejectedClaim(
              REASON_ENV_REJECTED,
              "spec.env[" + e.getName() + "]: no container '" + e.getContainerName() + "'");
        }
      }
      List<EnvVar> have =
          target.getEnv() == null ? new ArrayList<>() : new ArrayList<>(target.getEnv());
      int at = -1;
      for (int i = 0; i < have.size(); i++) if (have.get(i).getName().equals(e.getName())) at = i;
      if (p == InjectionPolicy.Allowed) {
        if (target.getEnvFrom() != null && !target.getEnvFrom().isEmpty()) {
          throw envRejected(
              e, target, "uses envFrom, which policy Allowed cannot check (use Overrides)");
        }
        if (at >= 0) {
          throw envRejected(
              e,
              target,
              "already sets it and the policy is Allowed (add only; use Overrides to replace)");
        }
      }
      EnvVar v = new EnvVar(e.getName(), e.getValue(), null);
      if (at >= 0) have.set(at, v);
      else have.add(v);
      target.setEnv(have);
    }
  }

  /** Upstream's VCT merge: Allowed appends and rejects name clashes; Overrides merges by name. */
  static List<PersistentVolumeClaimTemplate> mergeVcts(
      List<PersistentVolumeClaimTemplate> template,
      List<PersistentVolumeClaimTemplate> claim,
      InjectionPolicy policy) {
    List<PersistentVolumeClaimTemplate> out = copyVcts(template);
    if (claim == null || claim.isEmpty()) return out;
    InjectionPolicy p = policy == null ? InjectionPolicy.Disallowed : policy;
    if (p == InjectionPolicy.Disallowed) {
      throw new RejectedClaim(
          REASON_VCT_ERROR,
          "spec.volumeClaimTemplates: the template's volumeClaimTemplatesPolicy is Disallowed");
    }
    if (out == null) out = new ArrayList<>();
    for (PersistentVolumeClaimTemplate v : claim) {
      String name = v.getMetadata() == null ? null : v.getMetadata().getName();
      if (name == null || name.isEmpty())
        throw new RejectedClaim(
            REASON_VCT_ERROR, "spec.volumeClaimTemplates: an entry has no metadata.name");
      int at = -1;
      for (int i = 0; i < out.size(); i++)
        if (name.equals(out.get(i).getMetadata().getName())) at = i;
      if (at >= 0 && p == InjectionPolicy.Allowed) {
        throw new RejectedClaim(
            REASON_VCT_ERROR,
            "spec.volumeClaimTemplates["
                + name
                + "]: the template already has it and the policy is Allowed");
      }
      PersistentVolumeClaimTemplate copy = JSON.clone(v);
      if (at >= 0) out.set(at, copy);
      else out.add(copy);
    }
    return out;
  }

  private static List<PersistentVolumeClaimTemplate> copyVcts(
      List<PersistentVolumeClaimTemplate> in) {
    if (in == null || in.isEmpty()) return null;
    List<PersistentVolumeClaimTemplate> out = new ArrayList<>();
    for (PersistentVolumeClaimTemplate v : in) out.add(JSON.clone(v));
    return out;
  }

  private static PodMetadata templatePodMetadata(SandboxTemplate t) {
    PodMetadata tm = t.getSpec().getPodTemplate().getMetadata();
    Map<String, String> labels = new LinkedHashMap<>();
    Map<String, String> annotations = new LinkedHashMap<>();
    if (tm != null && tm.getLabels() != null)
      tm.getLabels()
          .forEach(
              (k, v) -> {
                if (!UpstreamKeys.isSystemReserved(k)) labels.put(k, v);
              });
    if (tm != null && tm.getAnnotations() != null) {
      tm.getAnnotations()
          .forEach(
              (k, v) -> {
                if (!UpstreamKeys.isSystemReserved(k)) annotations.put(k, v);
              });
    }
    return new PodMetadata(labels, annotations);
  }

  private static Sandbox sandbox(
      String ns,
      String name,
      Map<String, String> labels,
      Map<String, String> annotations,
      PodMetadata podMeta,
      PodSpec spec,
      List<PersistentVolumeClaimTemplate> vcts,
      Boolean service) {
    ObjectMeta meta = new ObjectMeta();
    meta.setName(name);
    meta.setNamespace(ns);
    meta.setLabels(labels);
    meta.setAnnotations(annotations);
    // the v1.20 API server rejects "" in CR fields: omit empty maps
    if (podMeta.getLabels().isEmpty()) podMeta.setLabels(null);
    if (podMeta.getAnnotations().isEmpty()) podMeta.setAnnotations(null);
    SandboxSpec ss = new SandboxSpec();
    ss.setPodTemplate(
        new PodTemplate(
            podMeta.getLabels() == null && podMeta.getAnnotations() == null ? null : podMeta,
            spec));
    ss.setVolumeClaimTemplates(vcts);
    ss.setService(service);
    Sandbox s = new Sandbox();
    s.setMetadata(meta);
    s.setSpec(ss);
    return s;
  }
}
