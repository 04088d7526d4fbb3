package io.agentsandbox.k8s.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;

class PodHardeningTest {

  @Test
  void shouldFillUnsetFieldsAndKeepWhatTheTemplateSays() {
    PodSpec spec =
        Serialization.unmarshal(
            """
        securityContext: {runAsUser: 1000}
        containers:
        - {name: plain, image: busybox}
        - name: chosen
          image: busybox
          securityContext: {allowPrivilegeEscalation: true, capabilities: {add: [NET_BIND_SERVICE], drop: [ALL]}}
        - {name: priv, image: busybox, securityContext: {privileged: true}}
        initContainers:
        - {name: init, image: busybox}
        """,
            PodSpec.class);

    PodHardening.apply(spec);

    assertThat(spec.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(spec.getSecurityContext().getRunAsUser()).isEqualTo(1000L);
    var plain = spec.getContainers().get(0).getSecurityContext();
    assertThat(plain.getAllowPrivilegeEscalation()).isFalse();
    assertThat(plain.getCapabilities().getDrop()).containsExactly("ALL");
    var chosen = spec.getContainers().get(1).getSecurityContext();
    assertThat(chosen.getAllowPrivilegeEscalation()).isTrue();
    assertThat(chosen.getCapabilities().getAdd()).containsExactly("NET_BIND_SERVICE");
    // privileged: true with allowPrivilegeEscalation: false is refused by the API server; leave it
    // to the template.
    assertThat(spec.getContainers().get(2).getSecurityContext().getAllowPrivilegeEscalation())
        .isNull();
    assertThat(spec.getInitContainers().get(0).getSecurityContext().getCapabilities().getDrop())
        .containsExactly("ALL");
  }

  @Test
  void shouldKeepALocalhostSeccompProfile() {
    PodSpec spec =
        Serialization.unmarshal(
            """
        securityContext: {seccompProfile: {type: Localhost, localhostProfile: profiles/strict.json}}
        containers: [{name: c, image: busybox}]
        """,
            PodSpec.class);
    PodHardening.apply(spec);
    assertThat(spec.getSecurityContext().getSeccompProfile().getType()).isEqualTo("Localhost");
  }
}
