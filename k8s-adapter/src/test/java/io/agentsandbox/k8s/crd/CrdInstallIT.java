package io.agentsandbox.k8s.crd;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.k8s.testing.LocalApiServerExtension;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The generated CRDs install on a real v1.20 API server with upstream's names and subresources. */
@ExtendWith(LocalApiServerExtension.class)
class CrdInstallIT {

  private static CustomResourceDefinition crd(KubernetesClient c, String name) {
    return c.apiextensions().v1().customResourceDefinitions().withName(name).get();
  }

  private static CustomResourceDefinitionVersion version(CustomResourceDefinition crd, String v) {
    return crd.getSpec().getVersions().stream()
        .filter(x -> x.getName().equals(v))
        .findFirst()
        .orElseThrow();
  }

  private static List<String> columns(CustomResourceDefinitionVersion v) {
    return v.getAdditionalPrinterColumns().stream()
        .map(CustomResourceColumnDefinition::getName)
        .toList();
  }

  @Test
  void shouldServeSandboxV1beta1StoredAndV1alpha1DeprecatedWithoutWebhook(KubernetesClient c) {
    CustomResourceDefinition crd = crd(c, Sandbox.CRD_NAME);
    assertThat(crd.getSpec().getScope()).isEqualTo("Namespaced");
    assertThat(crd.getSpec().getNames().getShortNames()).containsExactly("sandbox");
    assertThat(crd.getSpec().getConversion().getStrategy()).isEqualTo("None");
    CustomResourceDefinitionVersion beta = version(crd, "v1beta1");
    assertThat(beta.getStorage()).isTrue();
    assertThat(beta.getServed()).isTrue();
    assertThat(beta.getSubresources().getStatus()).isNotNull();
    assertThat(beta.getSubresources().getScale()).isNull();
    assertThat(columns(beta)).containsExactly("Ready", "Reason", "Age");
    CustomResourceDefinitionVersion alpha = version(crd, "v1alpha1");
    assertThat(alpha.getStorage()).isFalse();
    assertThat(alpha.getServed()).isTrue();
    assertThat(alpha.getDeprecated()).isTrue();
    assertThat(crd.getStatus().getStoredVersions()).containsExactly("v1beta1");
  }

  @Test
  void shouldInstallTheExtensionCrdsWithUpstreamSubresources(KubernetesClient c) {
    CustomResourceDefinition template = crd(c, SandboxTemplate.CRD_NAME);
    assertThat(template.getSpec().getNames().getShortNames()).containsExactly("sandboxtemplate");
    assertThat(version(template, "v1beta1").getSubresources()).isNull();

    CustomResourceDefinition pool = crd(c, SandboxWarmPool.CRD_NAME);
    assertThat(pool.getSpec().getNames().getShortNames()).containsExactly("swp");
    CustomResourceDefinitionVersion poolV = version(pool, "v1beta1");
    assertThat(poolV.getSubresources().getStatus()).isNotNull();
    assertThat(poolV.getSubresources().getScale().getSpecReplicasPath())
        .isEqualTo(".spec.replicas");
    assertThat(poolV.getSubresources().getScale().getStatusReplicasPath())
        .isEqualTo(".status.replicas");
    assertThat(poolV.getSubresources().getScale().getLabelSelectorPath())
        .isEqualTo(".status.selector");
    assertThat(columns(poolV)).containsExactly("Ready", "Desired", "Age");

    CustomResourceDefinition claim = crd(c, SandboxClaim.CRD_NAME);
    assertThat(claim.getSpec().getNames().getShortNames()).containsExactly("sandboxclaim");
    assertThat(version(claim, "v1beta1").getSubresources().getStatus()).isNotNull();
    assertThat(columns(version(claim, "v1beta1")))
        .containsExactly("Ready", "Sandbox", "Reason", "Age");
  }

  @Test
  void shouldAdvertiseShortNamesAndSubresourcesInDiscovery(KubernetesClient c) {
    List<APIResource> core = c.getApiResources("agents.x-k8s.io/v1beta1").getResources();
    assertThat(core).extracting(APIResource::getName).contains("sandboxes", "sandboxes/status");
    assertThat(c.getApiResources("agents.x-k8s.io/v1alpha1").getResources())
        .extracting(APIResource::getName)
        .contains("sandboxes");
    List<APIResource> ext = c.getApiResources("extensions.agents.x-k8s.io/v1beta1").getResources();
    assertThat(ext)
        .extracting(APIResource::getName)
        .contains(
            "sandboxtemplates",
            "sandboxwarmpools",
            "sandboxwarmpools/status",
            "sandboxwarmpools/scale",
            "sandboxclaims",
            "sandboxclaims/status");
    assertThat(ext).extracting(APIResource::getName).doesNotContain("sandboxtemplates/status");
    assertThat(
            ext.stream()
                .filter(r -> r.getName().equals("sandboxwarmpools"))
                .findFirst()
                .orElseThrow()
                .getShortNames())
        .containsExactly("swp");
  }
}
