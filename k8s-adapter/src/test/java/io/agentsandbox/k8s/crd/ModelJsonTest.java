package io.agentsandbox.k8s.crd;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The model's JSON field names are upstream's (podIPs, serviceFQDN, ...) and nulls are omitted. */
class ModelJsonTest {

  @Test
  void shouldWriteUpstreamFieldNames() {
    Sandbox s = new Sandbox();
    s.getMetadata();
    SandboxSpec spec = new SandboxSpec();
    spec.setPodTemplate(
        new PodTemplate(
            null,
            new PodSpecBuilder()
                .withContainers(new ContainerBuilder().withName("c").withImage("busybox").build())
                .build()));
    spec.setOperatingMode(OperatingMode.Suspended);
    s.setSpec(spec);
    SandboxStatus st = new SandboxStatus();
    st.setPodIPs(List.of("10.0.0.7"));
    st.setServiceFQDN("s.ns.svc.cluster.local");
    s.setStatus(st);

    String json = Serialization.asJson(s);
    assertThat(json)
        .contains(
            "\"apiVersion\":\"agents.x-k8s.io/v1beta1\"",
            "\"kind\":\"Sandbox\"",
            "\"podIPs\":[\"10.0.0.7\"]",
            "\"serviceFQDN\":\"s.ns.svc.cluster.local\"",
            "\"operatingMode\":\"Suspended\"");
    assertThat(json).doesNotContain("shutdownTime", "volumeClaimTemplates", "\"service\"", "null");
  }

  @Test
  void shouldReadUpstreamClaimYaml() {
    SandboxClaim c =
        Serialization.unmarshal(
            """
        apiVersion: extensions.agents.x-k8s.io/v1beta1
        kind: SandboxClaim
        metadata: {name: c1}
        spec:
          warmPoolRef: {name: pool}
          lifecycle: {shutdownPolicy: DeleteForeground, ttlSecondsAfterFinished: 30}
        status:
          sandbox: {name: pool-x7k2p, podIPs: [10.0.0.9]}
        """,
            SandboxClaim.class);
    assertThat(c.getSpec().getWarmPoolRef().getName()).isEqualTo("pool");
    assertThat(c.getSpec().getLifecycle().getShutdownPolicy())
        .isEqualTo(ClaimShutdownPolicy.DeleteForeground);
    assertThat(c.getStatus().getSandbox().getPodIPs()).containsExactly("10.0.0.9");
  }
}
