package io.agentsandbox.k8s.crd;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.k8s.testing.LocalApiServerExtension;
import io.agentsandbox.k8s.testing.LocalApiServerExtension.TestNamespace;
import io.fabric8.kubernetes.api.model.autoscaling.v1.Scale;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code /scale} on a SandboxWarmPool, as HPA, KEDA and {@code kubectl scale swp} use it. */
@ExtendWith(LocalApiServerExtension.class)
class WarmPoolScaleIT {

  @Test
  void shouldScaleAPoolThroughTheScaleSubresource(KubernetesClient c, TestNamespace ns) {
    c.resource(
            """
        apiVersion: extensions.agents.x-k8s.io/v1beta1
        kind: SandboxWarmPool
        metadata: {name: scaled}
        spec: {replicas: 2, sandboxTemplateRef: {name: t}}
        """)
        .inNamespace(ns.name())
        .create();
    Resource<SandboxWarmPool> pool =
        c.resources(SandboxWarmPool.class).inNamespace(ns.name()).withName("scaled");

    pool.scale(7);
    assertThat(pool.get().getSpec().getReplicas()).isEqualTo(7);
    Scale scale = pool.scale();
    assertThat(scale.getSpec().getReplicas()).isEqualTo(7);

    // status replicas + selector feed the scale status (what HPA reads)
    SandboxWarmPool current = pool.get();
    SandboxWarmPoolStatus st = new SandboxWarmPoolStatus();
    st.setReplicas(3);
    st.setReadyReplicas(2);
    st.setSelector(UpstreamKeys.WARM_POOL_SANDBOX + "=" + UpstreamKeys.nameHash("scaled"));
    current.setStatus(st);
    c.resources(SandboxWarmPool.class).inNamespace(ns.name()).resource(current).updateStatus();
    Scale after = pool.scale();
    assertThat(after.getStatus().getReplicas()).isEqualTo(3);
    assertThat(after.getStatus().getSelector()).isEqualTo(st.getSelector());

    pool.scale(0);
    assertThat(pool.get().getSpec().getReplicas()).isZero();
  }
}
