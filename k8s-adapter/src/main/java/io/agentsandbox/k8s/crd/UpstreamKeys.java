package io.agentsandbox.k8s.crd;

import java.nio.charset.StandardCharsets;

/**
 * Upstream agent-sandbox's label and annotation keys and its {@code NameHash}, kept byte-compatible
 * so upstream routers, SDKs and selectors work against our objects. Stateless.
 */
public final class UpstreamKeys {

  /** Label on Pod, Service, PVC: {@code NameHash(sandbox name)}; the Service selector. */
  public static final String SANDBOX_NAME_HASH = "agents.x-k8s.io/sandbox-name-hash";

  /**
   * Label on pool members and their pod template: {@code NameHash(pool name)}. Removed on adoption.
   */
  public static final String WARM_POOL_SANDBOX = "agents.x-k8s.io/warm-pool-sandbox";

  /**
   * Label on template, Sandbox, pod: {@code NameHash(template name)}; the NetworkPolicy selector.
   */
  public static final String SANDBOX_TEMPLATE_REF_HASH =
      "agents.x-k8s.io/sandbox-template-ref-hash";

  /** Label on pool members: the blueprint hash used for staleness. Removed on adoption. */
  public static final String SANDBOX_TEMPLATE_HASH = "agents.x-k8s.io/sandbox-template-hash";

  /** Deprecated twin of {@link #SANDBOX_TEMPLATE_HASH}, still stamped. */
  public static final String SANDBOX_POD_TEMPLATE_HASH =
      "agents.x-k8s.io/sandbox-pod-template-hash";

  /** Label on a Sandbox: {@code warm} or {@code cold}. */
  public static final String LAUNCH_TYPE = "agents.x-k8s.io/launch-type";

  /** Label: {@code go-client}, {@code python-client}, {@code controller}, else {@code unknown}. */
  public static final String CREATED_BY = "agents.x-k8s.io/created-by";

  /** Label on the Sandbox and its pod template: the claim's UID. */
  public static final String CLAIM_UID = "agents.x-k8s.io/claim-uid";

  /**
   * Label {@code "true"} on a pre-existing Pod/Service/PVC: the Sandbox controller may adopt it.
   */
  public static final String ADOPTABLE = "agents.x-k8s.io/adoptable";

  /** Annotation on a Sandbox: its backing pod's name (legacy). */
  public static final String POD_NAME = "agents.x-k8s.io/pod-name";

  /** Annotation on a Sandbox: the template's name (metrics). */
  public static final String SANDBOX_TEMPLATE_REF = "agents.x-k8s.io/sandbox-template-ref";

  /** Annotation on a Pod: comma-separated label keys copied from the pod template. */
  public static final String PROPAGATED_LABELS = "agents.x-k8s.io/propagated-labels";

  /** Annotation on a Pod: comma-separated annotation keys copied from the pod template. */
  public static final String PROPAGATED_ANNOTATIONS = "agents.x-k8s.io/propagated-annotations";

  /** Annotation on a claim: the assigned Sandbox. */
  public static final String SANDBOX_NAME = "agents.x-k8s.io/sandbox-name";

  /** Annotation on warm pod templates, stripped on adoption. */
  public static final String SAFE_TO_EVICT = "cluster-autoscaler.kubernetes.io/safe-to-evict";

  /** Field manager of the Sandbox controller's writes. */
  public static final String SANDBOX_FIELD_MANAGER = "sandbox-controller";

  private static final int FNV32_OFFSET_BASIS = 0x811c9dc5;
  private static final int FNV32_PRIME = 0x01000193;

  private UpstreamKeys() {}

  /**
   * Upstream's {@code NameHash}: FNV-1a 32-bit over the UTF-8 bytes, as 8 lowercase hex digits.
   *
   * @param name a Kubernetes object name
   * @return e.g. {@code "811c9dc5"} for the empty string
   */
  public static String nameHash(String name) {
    int h = FNV32_OFFSET_BASIS;
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      h ^= (b & 0xff);
      h *= FNV32_PRIME;
    }
    String hex = Integer.toHexString(h);
    return hex.length() == 8 ? hex : "0".repeat(8 - hex.length()) + hex;
  }

  /** True for keys the controllers own, which are ignored in user pod templates. */
  public static boolean isSystemReserved(String key) {
    return key.startsWith("agents.x-k8s.io/")
        || key.startsWith("extensions.agents.x-k8s.io/")
        || key.equals("opentelemetry.io/trace-context");
  }
}
