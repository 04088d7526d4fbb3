package io.agentsandbox.k8s.reconcile;

import static io.agentsandbox.k8s.crd.SandboxConditions.*;

import io.agentsandbox.k8s.crd.OperatingMode;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodIP;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Pure: the status a Sandbox should have, given what the reconciler observed. Conditions keep their
 * {@code lastTransitionTime} while their status does not change; every condition carries the
 * Sandbox's generation as {@code observedGeneration}. Stateless.
 */
public final class SandboxStatusCalculator {

  /**
   * What one reconcile pass saw.
   *
   * @param pod the pod this Sandbox controls, or null
   * @param podNotOwned a pod of the Sandbox's name exists but another controller (or none) owns it
   * @param serviceName the owned Service's name when it exists, else null
   * @param serviceRequired {@code spec.service == true}
   * @param expired {@code shutdownTime} has passed
   * @param error a reconcile error to surface as Ready=False/ReconcilerError, or null
   * @param podProblem why the pod cannot start, from the kubelet's events (e.g.
   *     FailedCreatePodSandBox when the node has no handler for the pod's runtime class), or null;
   *     shown while it is not Ready
   */
  public record Observation(
      Pod pod,
      boolean podNotOwned,
      String serviceName,
      boolean serviceRequired,
      boolean expired,
      String error,
      String podProblem) {

    public Observation(
        Pod pod,
        boolean podNotOwned,
        String serviceName,
        boolean serviceRequired,
        boolean expired,
        String error) {
      this(pod, podNotOwned, serviceName, serviceRequired, expired, error, null);
    }
  }

  private SandboxStatusCalculator() {}

  public static SandboxStatus compute(
      Sandbox sandbox, Observation o, String clusterDomain, Instant now) {
    SandboxStatus previous = sandbox.getStatus();
    List<Condition> old =
        previous == null || previous.getConditions() == null ? List.of() : previous.getConditions();
    long generation =
        sandbox.getMetadata().getGeneration() == null ? 0 : sandbox.getMetadata().getGeneration();
    boolean suspended = sandbox.getSpec().getOperatingMode() == OperatingMode.Suspended;
    String ts = now.toString();
    SandboxStatus s = new SandboxStatus();
    s.setSelector(SandboxResources.selector(sandbox));
    List<Condition> conds = new ArrayList<>();

    if (o.expired()) {
      conds.add(
          cond(
              old,
              READY,
              "False",
              REASON_SANDBOX_EXPIRED,
              "the sandbox passed its shutdownTime",
              generation,
              ts));
      keep(old, SUSPENDED, conds);
      keep(old, FINISHED, conds);
      s.setConditions(conds);
      s.setPodIPs(List.of());
      return s;
    }

    Pod pod = o.pod();
    String phase = pod == null || pod.getStatus() == null ? null : pod.getStatus().getPhase();
    boolean terminating = pod != null && pod.getMetadata().getDeletionTimestamp() != null;

    // Ready
    if (o.error() != null) {
      conds.add(cond(old, READY, "False", REASON_RECONCILER_ERROR, o.error(), generation, ts));
    } else if (suspended) {
      conds.add(
          cond(
              old,
              READY,
              "False",
              REASON_SANDBOX_SUSPENDED,
              "the sandbox is suspended",
              generation,
              ts));
    } else if ("Succeeded".equals(phase)) {
      conds.add(
          cond(old, READY, "False", REASON_POD_SUCCEEDED, "the pod succeeded", generation, ts));
    } else if ("Failed".equals(phase)) {
      conds.add(cond(old, READY, "False", REASON_POD_FAILED, "the pod failed", generation, ts));
    } else if (pod != null
        && !terminating
        && "Running".equals(phase)
        && podReady(pod)
        && !podIPs(pod).isEmpty()
        && (!o.serviceRequired() || o.serviceName() != null)) {
      conds.add(
          cond(old, READY, "True", REASON_DEPENDENCIES_READY, "pod is ready", generation, ts));
    } else {
      conds.add(
          cond(
              old,
              READY,
              "False",
              REASON_DEPENDENCIES_NOT_READY,
              notReadyMessage(pod, o),
              generation,
              ts));
    }

    // Suspended: always present once computed
    if (!suspended) {
      conds.add(
          cond(
              old,
              SUSPENDED,
              "False",
              REASON_NOT_SUSPENDED,
              "the sandbox is running",
              generation,
              ts));
    } else if (o.podNotOwned()) {
      conds.add(
          cond(
              old,
              SUSPENDED,
              "False",
              REASON_POD_NOT_OWNED,
              "a pod of this name is not owned by the sandbox",
              generation,
              ts));
    } else if (pod != null) {
      conds.add(
          cond(
              old,
              SUSPENDED,
              "False",
              REASON_POD_TERMINATING,
              "waiting for the pod to terminate",
              generation,
              ts));
    } else {
      conds.add(
          cond(old, SUSPENDED, "True", REASON_POD_TERMINATED, "the pod is gone", generation, ts));
    }

    // PodScheduled: mirrored while an owned pod exists
    if (pod != null) {
      PodCondition pc = podCondition(pod, "PodScheduled");
      if (pc == null) {
        conds.add(
            cond(old, POD_SCHEDULED, "Unknown", REASON_POD_SCHEDULING_UNKNOWN, "", generation, ts));
      } else {
        String reason =
            pc.getReason() == null || pc.getReason().isEmpty()
                ? REASON_POD_SCHEDULED
                : pc.getReason();
        conds.add(
            cond(
                old,
                POD_SCHEDULED,
                pc.getStatus(),
                reason,
                pc.getMessage() == null ? "" : pc.getMessage(),
                generation,
                ts));
      }
    }

    // Finished: once the pod is terminal; preserved afterwards
    if ("Succeeded".equals(phase)) {
      conds.add(
          cond(old, FINISHED, "True", REASON_POD_SUCCEEDED, "the pod succeeded", generation, ts));
    } else if ("Failed".equals(phase)) {
      conds.add(cond(old, FINISHED, "True", REASON_POD_FAILED, "the pod failed", generation, ts));
    } else {
      keep(old, FINISHED, conds);
    }
    s.setConditions(conds);

    if (pod != null && !suspended) {
      s.setPodIPs(podIPs(pod));
      if (pod.getSpec() != null && pod.getSpec().getNodeName() != null)
        s.setNodeName(pod.getSpec().getNodeName());
    } else {
      s.setPodIPs(List.of());
    }
    if (o.serviceName() != null) {
      s.setService(o.serviceName());
      s.setServiceFQDN(
          o.serviceName() + "." + sandbox.getMetadata().getNamespace() + ".svc." + clusterDomain);
    }
    return s;
  }

  /** The pod's IPs ({@code status.podIPs}, else {@code status.podIP}). */
  public static List<String> podIPs(Pod pod) {
    List<String> ips = new ArrayList<>();
    if (pod.getStatus() == null) return ips;
    if (pod.getStatus().getPodIPs() != null) {
      for (PodIP ip : pod.getStatus().getPodIPs()) {
        if (ip.getIp() != null && !ip.getIp().isEmpty()) ips.add(ip.getIp());
      }
    }
    if (ips.isEmpty()
        && pod.getStatus().getPodIP() != null
        && !pod.getStatus().getPodIP().isEmpty()) {
      ips.add(pod.getStatus().getPodIP());
    }
    return ips;
  }

  private static boolean podReady(Pod pod) {
    PodCondition c = podCondition(pod, "Ready");
    return c != null && "True".equals(c.getStatus());
  }

  private static PodCondition podCondition(Pod pod, String type) {
    if (pod.getStatus() == null || pod.getStatus().getConditions() == null) return null;
    for (PodCondition c : pod.getStatus().getConditions()) {
      if (type.equals(c.getType())) return c;
    }
    return null;
  }

  private static String notReadyMessage(Pod pod, Observation o) {
    if (o.podNotOwned()) return "a pod of this name exists and is not owned by the sandbox";
    if (pod == null) return "waiting for the pod to be created";
    if (pod.getMetadata().getDeletionTimestamp() != null) return "the pod is terminating";
    if (o.podProblem() != null
        && !"Running".equals(pod.getStatus() == null ? null : pod.getStatus().getPhase())) {
      return "the pod cannot start: " + o.podProblem();
    }
    if (o.serviceRequired() && o.serviceName() == null) return "waiting for the service";
    return "pod is not ready";
  }

  private static void keep(List<Condition> old, String type, List<Condition> out) {
    for (Condition c : old) {
      if (type.equals(c.getType())) out.add(c);
    }
  }

  private static Condition cond(
      List<Condition> old,
      String type,
      String status,
      String reason,
      String message,
      long generation,
      String now) {
    String since = now;
    for (Condition c : old) {
      if (type.equals(c.getType())
          && Objects.equals(status, c.getStatus())
          && c.getLastTransitionTime() != null) {
        since = c.getLastTransitionTime();
      }
    }
    Condition c = new Condition();
    c.setType(type);
    c.setStatus(status);
    c.setReason(reason);
    // NOTE: omit an empty message: the v1.20 test API server (Debian build) rejects "" in CR fields
    // as null ("must be of type string"); absent and empty mean the same to every client.
    c.setMessage(message == null || message.isEmpty() ? null : message);
    c.setObservedGeneration(generation);
    c.setLastTransitionTime(since);
    return c;
  }
}
