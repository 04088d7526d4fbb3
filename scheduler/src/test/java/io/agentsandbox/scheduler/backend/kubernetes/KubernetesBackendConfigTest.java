package io.agentsandbox.scheduler.backend.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentsandbox.k8s.backend.KubernetesBackendConfig;
import io.agentsandbox.scheduler.Main;
import org.junit.jupiter.api.Test;

class KubernetesBackendConfigTest {

  @Test
  void shouldAcceptTheKubernetesBackend() {
    assertThat(Main.parseConfig("--backend", "kubernetes").backend()).isEqualTo("kubernetes");
  }

  @Test
  void shouldParseTheKubernetesFlags() {
    KubernetesBackendConfig c =
        Main.parseKubernetesConfig(
            "--watch-namespace",
            "agents",
            "--leader-election",
            "--lease-name",
            "my-lease",
            "--lease-namespace",
            "ops");
    assertThat(c.kubeconfig()).isNull();
    assertThat(c.watchNamespace()).isEqualTo("agents");
    assertThat(c.leaderElection()).isTrue();
    assertThat(c.leaseName()).isEqualTo("my-lease");
    assertThat(c.leaseNamespace()).isEqualTo("ops");
    assertThat(c.identity()).isNotBlank();
  }

  @Test
  void shouldDefaultToAllNamespacesWithoutLeaderElection() {
    KubernetesBackendConfig c = Main.parseKubernetesConfig();
    assertThat(c.watchNamespace()).isNull();
    assertThat(c.leaderElection()).isFalse();
    assertThat(c.leaseName()).isEqualTo(KubernetesBackendConfig.DEFAULT_LEASE_NAME);
    assertThat(c.leaseNamespace()).isNotBlank();
  }

  @Test
  void shouldRejectBadValuesNamingTheFlag() {
    assertThatThrownBy(() -> Main.parseKubernetesConfig("--watch-namespace", "Bad_NS"))
        .hasMessageContaining("--watch-namespace");
    assertThatThrownBy(() -> Main.parseKubernetesConfig("--kubeconfig", "/nonexistent/kubeconfig"))
        .hasMessageContaining("--kubeconfig");
  }
}
