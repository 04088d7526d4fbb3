package io.agentsandbox.k8s.backend;

import io.agentsandbox.core.model.ClaimRequest;
import io.agentsandbox.core.model.OnEmpty;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.k8s.crd.AgentSandboxAnnotations;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.crd.UpstreamKeys;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What a {@code SandboxClaim} asks of the engine, read from its spec and annotations. Pure: no
 * state, no API calls; any thread.
 *
 * <p>Empty pools follow upstream: a claim with neither {@code agentsandbox.io/on-empty} nor {@code
 * agentsandbox.io/wait-ms} cold-starts a Sandbox named after it at once; {@code wait-ms} alone
 * waits that long for a warm sandbox, then cold-starts; {@code on-empty: wait} keeps waiting (in
 * rounds of {@code wait-ms} or the default wait); {@code on-empty: cold} starts cold at once;
 * {@code on-empty: reject} gives up with {@code Ready=False}.
 */
final class ClaimRequests {

  /** Claim-id prefix of a claim made by a {@code SandboxClaim} ({@code sc:<ns>/<name>}). */
  static final String K8S_CLAIM_PREFIX = "sc:";

  private ClaimRequests() {}

  static Map<String, String> annotations(HasMetadata o) {
    return o.getMetadata().getAnnotations() == null ? Map.of() : o.getMetadata().getAnnotations();
  }

  /** The engine's claim id: the HTTP API's id for claims it made, else {@code sc:<ns>/<name>}. */
  static String claimIdOf(SandboxClaim c) {
    String id = annotations(c).get(KubernetesBackend.CLAIM_ID);
    return id != null
        ? id
        : K8S_CLAIM_PREFIX + c.getMetadata().getNamespace() + "/" + c.getMetadata().getName();
  }

  static String tenantOf(SandboxClaim c) {
    return annotations(c).getOrDefault(AgentSandboxAnnotations.TENANT, "default");
  }

  static String poolNameOf(SandboxClaim c) {
    return c.getSpec() == null || c.getSpec().getWarmPoolRef() == null
        ? null
        : c.getSpec().getWarmPoolRef().getName();
  }

  /**
   * The sandbox the claim's durable record names: {@code status.sandbox.name}, or for a claim the
   * HTTP API made, its {@code agents.x-k8s.io/sandbox-name} annotation; null when unbound.
   */
  static String boundSandboxOf(SandboxClaim c) {
    if (c.getStatus() != null
        && c.getStatus().getSandbox() != null
        && c.getStatus().getSandbox().getName() != null) {
      return c.getStatus().getSandbox().getName();
    }
    return annotations(c).get(UpstreamKeys.SANDBOX_NAME);
  }

  static boolean statusNamesSandbox(SandboxClaim c) {
    return c.getStatus() != null
        && c.getStatus().getSandbox() != null
        && c.getStatus().getSandbox().getName() != null;
  }

  /** Upstream starts a claim with {@code env} or {@code volumeClaimTemplates} cold. */
  static boolean forcesCold(SandboxClaim c) {
    return c.getSpec() != null
        && ((c.getSpec().getEnv() != null && !c.getSpec().getEnv().isEmpty())
            || (c.getSpec().getVolumeClaimTemplates() != null
                && !c.getSpec().getVolumeClaimTemplates().isEmpty()));
  }

  /**
   * The claim's {@code on-empty} annotation, or null when absent.
   *
   * @throws IllegalArgumentException naming the annotation when its value is unknown
   */
  static OnEmpty askedOnEmpty(SandboxClaim c) {
    String oe = annotations(c).get(AgentSandboxAnnotations.ON_EMPTY);
    if (oe == null) return null;
    OnEmpty v = OnEmpty.fromWireName(oe);
    if (v == null)
      throw new IllegalArgumentException(
          AgentSandboxAnnotations.ON_EMPTY + " must be wait, cold or reject: '" + oe + "'");
    return v;
  }

  /** True when the claim waits for a warm sandbox before it starts cold ({@code wait-ms} alone). */
  static boolean waitsThenCold(SandboxClaim c, OnEmpty asked) {
    return asked == null && annotations(c).containsKey(AgentSandboxAnnotations.WAIT_MS);
  }

  /**
   * The engine's request for a claim. Claims that start cold on an empty pool are sent as {@code
   * reject} (an empty pool answers at once and the backend starts upstream's cold Sandbox), or as
   * {@code wait} with their {@code wait-ms}.
   *
   * @throws IllegalArgumentException naming the annotation that is malformed or out of range
   */
  static ClaimRequest request(SandboxClaim c, OnEmpty asked, long defaultWaitMs, long maxWaitMs) {
    Map<String, String> ann = annotations(c);
    long waitMs =
        ann.containsKey(AgentSandboxAnnotations.WAIT_MS)
            ? PoolSpecs.intAnnotation(ann, AgentSandboxAnnotations.WAIT_MS, 0)
            : defaultWaitMs;
    if (waitMs > maxWaitMs)
      throw new IllegalArgumentException(AgentSandboxAnnotations.WAIT_MS + " above " + maxWaitMs);
    int priority = 0;
    String pr = ann.get(AgentSandboxAnnotations.PRIORITY);
    if (pr != null) {
      try {
        priority = Integer.parseInt(pr.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            AgentSandboxAnnotations.PRIORITY + " must be an integer: '" + pr + "'");
      }
      if (priority < ClaimRequest.MIN_PRIORITY || priority > ClaimRequest.MAX_PRIORITY) {
        throw new IllegalArgumentException(
            AgentSandboxAnnotations.PRIORITY + " must be -1000..1000: " + priority);
      }
    }
    OnEmpty sent = asked == OnEmpty.WAIT || waitsThenCold(c, asked) ? OnEmpty.WAIT : OnEmpty.REJECT;
    return new ClaimRequest(
        claimIdOf(c),
        new PoolKey(c.getMetadata().getNamespace(), poolNameOf(c)),
        tenantOf(c),
        priority,
        sent,
        TimeUnit.MILLISECONDS.toNanos(waitMs),
        0,
        System.nanoTime());
  }

  static long parseLong(String v, long dflt) {
    if (v == null) return dflt;
    try {
      return Math.max(0, Long.parseLong(v.trim()));
    } catch (NumberFormatException e) {
      return dflt;
    }
  }
}
