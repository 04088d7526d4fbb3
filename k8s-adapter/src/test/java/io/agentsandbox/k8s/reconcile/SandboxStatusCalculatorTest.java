package io.agentsandbox.k8s.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.k8s.crd.OperatingMode;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxConditions;
import io.agentsandbox.k8s.crd.SandboxStatus;
import io.agentsandbox.k8s.reconcile.SandboxStatusCalculator.Observation;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SandboxStatusCalculatorTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Instant T1 = Instant.parse("2026-01-01T00:01:00Z");

  private static Sandbox sandbox() {
    Sandbox s =
        SandboxResourcesTest.sandbox(
            """
        apiVersion: agents.x-k8s.io/v1beta1
        kind: Sandbox
        metadata: {name: sb, generation: 3}
        spec:
          podTemplate: {spec: {containers: [{name: c, image: i}]}}
        """);
    return s;
  }

  private static Pod pod(String phase, boolean ready, String ip) {
    Pod p =
        new PodBuilder()
            .withNewMetadata()
            .withName("sb")
            .endMetadata()
            .withNewSpec()
            .withNodeName("node-1")
            .endSpec()
            .withNewStatus()
            .withPhase(phase)
            .addNewCondition()
            .withType("Ready")
            .withStatus(ready ? "True" : "False")
            .endCondition()
            .addNewCondition()
            .withType("PodScheduled")
            .withStatus("True")
            .endCondition()
            .endStatus()
            .build();
    if (ip != null) {
      p.getStatus().setPodIP(ip);
      p.getStatus().setPodIPs(java.util.List.of(new io.fabric8.kubernetes.api.model.PodIP(ip)));
    }
    return p;
  }

  private static Condition cond(SandboxStatus s, String type) {
    return s.getConditions().stream()
        .filter(c -> c.getType().equals(type))
        .findFirst()
        .orElse(null);
  }

  private static Observation obs(Pod pod) {
    return new Observation(pod, false, null, false, false, null);
  }

  @Test
  void shouldBeReadyWhenThePodRunsReadyWithAnIp() {
    SandboxStatus s =
        SandboxStatusCalculator.compute(
            sandbox(), obs(pod("Running", true, "10.0.0.1")), "cluster.local", T0);
    assertThat(cond(s, "Ready").getStatus()).isEqualTo("True");
    assertThat(cond(s, "Ready").getReason()).isEqualTo(SandboxConditions.REASON_DEPENDENCIES_READY);
    assertThat(cond(s, "Ready").getObservedGeneration()).isEqualTo(3L);
    assertThat(cond(s, "PodScheduled").getReason())
        .isEqualTo(SandboxConditions.REASON_POD_SCHEDULED);
    assertThat(cond(s, "Suspended").getReason()).isEqualTo(SandboxConditions.REASON_NOT_SUSPENDED);
    assertThat(cond(s, "Finished")).isNull();
    assertThat(s.getPodIPs()).containsExactly("10.0.0.1");
    assertThat(s.getNodeName()).isEqualTo("node-1");
  }

  @Test
  void shouldSayWhyAPendingPodCannotStart() {
    String why =
        "FailedCreatePodSandBox: Failed to create pod sandbox: no runtime for \"kata\" is configured";
    SandboxStatus s =
        SandboxStatusCalculator.compute(
            sandbox(),
            new Observation(pod("Pending", false, null), false, null, false, false, null, why),
            "c",
            T0);
    assertThat(cond(s, "Ready").getStatus()).isEqualTo("False");
    assertThat(cond(s, "Ready").getReason())
        .isEqualTo(SandboxConditions.REASON_DEPENDENCIES_NOT_READY);
    assertThat(cond(s, "Ready").getMessage()).isEqualTo("the pod cannot start: " + why);
    // once the pod runs, an old failure event no longer speaks for it
    SandboxStatus running =
        SandboxStatusCalculator.compute(
            sandbox(),
            new Observation(
                pod("Running", false, "10.0.0.1"), false, null, false, false, null, why),
            "c",
            T0);
    assertThat(cond(running, "Ready").getMessage()).isEqualTo("pod is not ready");
  }

  @Test
  void shouldNotBeReadyWithoutIpOrReadinessOrRequiredService() {
    assertThat(
            cond(
                    SandboxStatusCalculator.compute(
                        sandbox(), obs(pod("Running", true, null)), "c", T0),
                    "Ready")
                .getReason())
        .isEqualTo(SandboxConditions.REASON_DEPENDENCIES_NOT_READY);
    assertThat(
            cond(
                    SandboxStatusCalculator.compute(
                        sandbox(), obs(pod("Running", false, "10.0.0.1")), "c", T0),
                    "Ready")
                .getStatus())
        .isEqualTo("False");
    SandboxStatus noSvc =
        SandboxStatusCalculator.compute(
            sandbox(),
            new Observation(pod("Running", true, "10.0.0.1"), false, null, true, false, null),
            "c",
            T0);
    assertThat(cond(noSvc, "Ready").getStatus()).isEqualTo("False");
    SandboxStatus withSvc =
        SandboxStatusCalculator.compute(
            sandbox(),
            new Observation(pod("Running", true, "10.0.0.1"), false, "sb", true, false, null),
            "cluster.local",
            T0);
    assertThat(cond(withSvc, "Ready").getStatus()).isEqualTo("True");
    assertThat(withSvc.getServiceFQDN()).isEqualTo("sb.ns.svc.cluster.local");
  }

  @Test
  void shouldReportTerminalPodsAsFinished() {
    SandboxStatus s =
        SandboxStatusCalculator.compute(sandbox(), obs(pod("Succeeded", false, null)), "c", T0);
    assertThat(cond(s, "Finished").getReason()).isEqualTo(SandboxConditions.REASON_POD_SUCCEEDED);
    assertThat(cond(s, "Ready").getReason()).isEqualTo(SandboxConditions.REASON_POD_SUCCEEDED);
  }

  @Test
  void shouldReportSuspensionAndDropPodScheduledWithoutAPod() {
    Sandbox sb = sandbox();
    sb.getSpec().setOperatingMode(OperatingMode.Suspended);
    SandboxStatus terminating =
        SandboxStatusCalculator.compute(sb, obs(pod("Running", true, "10.0.0.1")), "c", T0);
    assertThat(cond(terminating, "Suspended").getReason())
        .isEqualTo(SandboxConditions.REASON_POD_TERMINATING);
    SandboxStatus gone = SandboxStatusCalculator.compute(sb, obs(null), "c", T0);
    assertThat(cond(gone, "Suspended").getStatus()).isEqualTo("True");
    assertThat(cond(gone, "Ready").getReason())
        .isEqualTo(SandboxConditions.REASON_SANDBOX_SUSPENDED);
    assertThat(cond(gone, "PodScheduled")).isNull();
    assertThat(gone.getPodIPs()).isEmpty();
  }

  @Test
  void shouldKeepTransitionTimesWhileTheStatusDoesNotChange() {
    Sandbox sb = sandbox();
    sb.setStatus(
        SandboxStatusCalculator.compute(sb, obs(pod("Running", false, "10.0.0.1")), "c", T0));
    SandboxStatus same =
        SandboxStatusCalculator.compute(sb, obs(pod("Running", false, "10.0.0.1")), "c", T1);
    assertThat(cond(same, "Ready").getLastTransitionTime()).isEqualTo(T0.toString());
    SandboxStatus flipped =
        SandboxStatusCalculator.compute(sb, obs(pod("Running", true, "10.0.0.1")), "c", T1);
    assertThat(cond(flipped, "Ready").getLastTransitionTime()).isEqualTo(T1.toString());
  }

  @Test
  void shouldClearLiveFieldsButKeepFinishedOnExpiry() {
    Sandbox sb = sandbox();
    sb.setStatus(SandboxStatusCalculator.compute(sb, obs(pod("Failed", false, null)), "c", T0));
    SandboxStatus s =
        SandboxStatusCalculator.compute(
            sb, new Observation(null, false, null, false, true, null), "c", T1);
    assertThat(cond(s, "Ready").getReason()).isEqualTo(SandboxConditions.REASON_SANDBOX_EXPIRED);
    assertThat(cond(s, "Finished").getReason()).isEqualTo(SandboxConditions.REASON_POD_FAILED);
    assertThat(cond(s, "PodScheduled")).isNull();
    assertThat(s.getPodIPs()).isEmpty();
  }

  @Test
  void shouldSurfaceReconcileErrors() {
    SandboxStatus s =
        SandboxStatusCalculator.compute(
            sandbox(),
            new Observation(null, false, null, false, false, "pvc data-sb is foreign"),
            "c",
            T0);
    assertThat(cond(s, "Ready").getReason()).isEqualTo(SandboxConditions.REASON_RECONCILER_ERROR);
    assertThat(cond(s, "Ready").getMessage()).contains("data-sb");
  }
}
