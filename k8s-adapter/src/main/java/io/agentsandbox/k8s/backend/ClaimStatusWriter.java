package io.agentsandbox.k8s.backend;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentsandbox.k8s.client.MergePatch;
import io.agentsandbox.k8s.client.WriteLog;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.crd.SandboxConditions;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes {@code SandboxClaim} status with JSON merge patches on the status subresource: the bound
 * Sandbox (name, podIPs, forwarded {@code Ready}, mirrored {@code Finished}) or a {@code
 * Ready=False} reason. Stateless apart from the client; thread-safe; every method blocks on the API
 * (call it on an I/O thread, never on an event loop).
 */
final class ClaimStatusWriter {

  private final KubernetesClient client;
  private final Clock clock;
  private final ObjectMapper json = new ObjectMapper();

  ClaimStatusWriter(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  static Condition condition(Sandbox s, String type) {
    if (s == null || s.getStatus() == null || s.getStatus().getConditions() == null) return null;
    for (Condition c : s.getStatus().getConditions()) if (type.equals(c.getType())) return c;
    return null;
  }

  static Condition condition(SandboxClaim c, String type) {
    if (c == null || c.getStatus() == null || c.getStatus().getConditions() == null) return null;
    for (Condition x : c.getStatus().getConditions()) if (type.equals(x.getType())) return x;
    return null;
  }

  static List<String> ips(Sandbox s) {
    return s.getStatus() == null || s.getStatus().getPodIPs() == null
        ? List.of()
        : List.copyOf(s.getStatus().getPodIPs());
  }

  /** True when the claim shows {@code Ready=False} with {@code reason}. */
  static boolean shows(SandboxClaim c, String reason) {
    Condition x = condition(c, SandboxConditions.READY);
    return x != null && "False".equals(x.getStatus()) && reason.equals(x.getReason());
  }

  Map<String, Object> condition(
      String type, String status, String reason, String message, Long generation) {
    Map<String, Object> cond = new LinkedHashMap<>();
    cond.put("type", type);
    cond.put("status", status);
    cond.put("reason", reason);
    if (message != null && !message.isEmpty()) cond.put("message", message);
    cond.put("lastTransitionTime", clock.instant().truncatedTo(ChronoUnit.SECONDS).toString());
    if (generation != null) cond.put("observedGeneration", generation);
    return cond;
  }

  /**
   * Ready=False with {@code reason}, unless the claim already shows it. Logs (debug) and swallows
   * API errors.
   */
  void writeCondition(SandboxClaim c, String reason, String message) {
    if (shows(c, reason)) return;
    Map<String, Object> cond =
        condition(
            SandboxConditions.READY, "False", reason, message, c.getMetadata().getGeneration());
    try {
      patch(
          c.getMetadata().getNamespace(),
          c.getMetadata().getName(),
          Map.of("conditions", List.of(cond)));
    } catch (KubernetesClientException e) {
      WriteLog.retried(
          "SandboxClaim",
          c.getMetadata().getNamespace() + "/" + c.getMetadata().getName(),
          e,
          "the next informer event or resync");
    }
  }

  /** The bound Sandbox's name and podIPs, its Ready condition forwarded and Finished mirrored. */
  void writeBound(String ns, String claimName, Sandbox s) {
    writeBound(ns, claimName, s, null);
  }

  /**
   * As {@link #writeBound(String, String, Sandbox)}, only to the claim with uid {@code claimUid}
   * (when not null): a claim deleted and made again under the same name meanwhile is not written
   * (the API server refuses the patch).
   */
  void writeBound(String ns, String claimName, Sandbox s, String claimUid) {
    Map<String, Object> sb = new LinkedHashMap<>();
    sb.put("name", s.getMetadata().getName());
    List<String> ips = ips(s);
    if (!ips.isEmpty()) sb.put("podIPs", ips);
    Condition ready = condition(s, SandboxConditions.READY);
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("sandbox", sb);
    List<Map<String, Object>> conditions = new java.util.ArrayList<>();
    conditions.add(
        condition(
            SandboxConditions.READY,
            ready == null ? "Unknown" : ready.getStatus(),
            ready == null || ready.getReason() == null
                ? SandboxConditions.REASON_DEPENDENCIES_NOT_READY
                : ready.getReason(),
            ready == null ? null : ready.getMessage(),
            null));
    Condition finished = condition(s, SandboxConditions.FINISHED);
    if (finished != null) {
      Map<String, Object> f =
          condition(
              SandboxConditions.FINISHED,
              finished.getStatus(),
              finished.getReason(),
              finished.getMessage(),
              null);
      if (finished.getLastTransitionTime() != null)
        f.put("lastTransitionTime", finished.getLastTransitionTime());
      conditions.add(f);
    }
    status.put("conditions", conditions);
    patch(ns, claimName, status, claimUid);
  }

  void patch(String ns, String name, Map<String, Object> status) {
    patch(ns, name, status, null);
  }

  private void patch(String ns, String name, Map<String, Object> status, String uid) {
    Map<String, Object> body =
        uid == null
            ? Map.of("status", status)
            : Map.of("metadata", Map.of("uid", uid), "status", status);
    MergePatch.apply(client, SandboxClaim.class, ns, name, "status", toJson(body));
  }

  String toJson(Object o) {
    try {
      return json.writeValueAsString(o);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
