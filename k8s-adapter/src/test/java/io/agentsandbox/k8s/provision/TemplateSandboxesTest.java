package io.agentsandbox.k8s.provision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentsandbox.k8s.crd.InjectionPolicy;
import io.agentsandbox.k8s.crd.LocalObjectRef;
import io.agentsandbox.k8s.crd.PodMetadata;
import io.agentsandbox.k8s.crd.PodTemplate;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.crd.SandboxClaimSpec;
import io.agentsandbox.k8s.crd.SandboxTemplate;
import io.agentsandbox.k8s.crd.SandboxTemplateSpec;
import io.agentsandbox.k8s.crd.UpstreamKeys;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The pure builders of template-derived Sandboxes: secure defaults, blueprint hash, claim-time
 * injections.
 */
class TemplateSandboxesTest {

  private static SandboxTemplate template(InjectionPolicy env) {
    SandboxTemplateSpec ts = new SandboxTemplateSpec();
    ts.setPodTemplate(
        new PodTemplate(
            new PodMetadata(Map.of("sandbox.users.io/tier", "gold"), Map.of("note", "t")),
            new PodSpecBuilder()
                .withContainers(
                    new ContainerBuilder()
                        .withName("main")
                        .withImage("img:1")
                        .withEnv(new EnvVar("MODE", "t", null))
                        .build(),
                    new ContainerBuilder()
                        .withName("priv")
                        .withImage("img:1")
                        .withSecurityContext(
                            new SecurityContextBuilder().withPrivileged(true).build())
                        .build())
                .build()));
    ts.setEnvVarsInjectionPolicy(env);
    SandboxTemplate t = new SandboxTemplate();
    t.setMetadata(new ObjectMetaBuilder().withName("tpl").withNamespace("ns").build());
    t.setSpec(ts);
    return t;
  }

  private static SandboxClaim claim(List<SandboxClaimSpec.EnvVar> env, PodMetadata meta) {
    SandboxClaimSpec spec = new SandboxClaimSpec();
    spec.setWarmPoolRef(new LocalObjectRef("pool"));
    spec.setEnv(env);
    spec.setAdditionalPodMetadata(meta);
    SandboxClaim c = new SandboxClaim();
    c.setMetadata(
        new ObjectMetaBuilder()
            .withName("my-claim")
            .withNamespace("ns")
            .withUid("uid-1")
            .withLabels(Map.of(UpstreamKeys.CREATED_BY, "someone-else"))
            .build());
    c.setSpec(spec);
    return c;
  }

  @Test
  void shouldBuildPoolMembersFromTheFullSpecWithSecureDefaultsAndAStableHash() {
    SandboxTemplate t = template(null);
    Sandbox m = TemplateSandboxes.poolMember("ns", "pool", "pool-abcde", t);
    var spec = m.getSpec().getPodTemplate().getSpec();
    assertThat(spec.getContainers()).hasSize(2);
    assertThat(spec.getAutomountServiceAccountToken()).isFalse();
    assertThat(spec.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(spec.getContainers().get(0).getSecurityContext().getCapabilities().getDrop())
        .containsExactly("ALL");
    assertThat(spec.getContainers().get(1).getSecurityContext().getCapabilities())
        .as("privileged: the template decides")
        .isNull();
    assertThat(t.getSpec().getPodTemplate().getSpec().getSecurityContext())
        .as("input untouched")
        .isNull();
    assertThat(m.getMetadata().getLabels())
        .containsEntry(UpstreamKeys.WARM_POOL_SANDBOX, UpstreamKeys.nameHash("pool"))
        .containsEntry(UpstreamKeys.SANDBOX_TEMPLATE_HASH, TemplateSandboxes.blueprintHash(t));
    assertThat(m.getSpec().getPodTemplate().getMetadata().getAnnotations())
        .containsEntry(UpstreamKeys.SAFE_TO_EVICT, "true");

    SandboxTemplate relabelled = template(null);
    relabelled.getSpec().getPodTemplate().setMetadata(new PodMetadata(Map.of("x", "y"), null));
    assertThat(TemplateSandboxes.blueprintHash(relabelled))
        .as("metadata-only edit")
        .isEqualTo(TemplateSandboxes.blueprintHash(t));
    SandboxTemplate reimaged = template(null);
    reimaged.getSpec().getPodTemplate().getSpec().getContainers().get(0).setImage("img:2");
    assertThat(TemplateSandboxes.blueprintHash(reimaged))
        .isNotEqualTo(TemplateSandboxes.blueprintHash(t));
  }

  @Test
  void shouldInjectEnvPerPolicyIntoAColdSandboxNamedAfterTheClaim() {
    var owner =
        new OwnerReferenceBuilder()
            .withKind("SandboxClaim")
            .withName("my-claim")
            .withUid("uid-1")
            .withController(true)
            .build();
    Sandbox s =
        TemplateSandboxes.coldForClaim(
            claim(
                List.of(
                    new SandboxClaimSpec.EnvVar("MODE", "c"),
                    new SandboxClaimSpec.EnvVar("NEW", "1")),
                null),
            template(InjectionPolicy.Overrides),
            owner,
            TemplateSandboxes.DEFAULT_LABEL_DOMAINS);
    assertThat(s.getMetadata().getName()).isEqualTo("my-claim");
    assertThat(s.getMetadata().getLabels())
        .containsEntry(UpstreamKeys.LAUNCH_TYPE, "cold")
        .containsEntry(UpstreamKeys.CLAIM_UID, "uid-1")
        .containsEntry(UpstreamKeys.CREATED_BY, "unknown");
    assertThat(s.getSpec().getPodTemplate().getSpec().getContainers().get(0).getEnv())
        .extracting(EnvVar::getName, EnvVar::getValue)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("MODE", "c"),
            org.assertj.core.groups.Tuple.tuple("NEW", "1"));

    assertThatThrownBy(
            () ->
                TemplateSandboxes.coldForClaim(
                    claim(List.of(new SandboxClaimSpec.EnvVar("MODE", "c")), null),
                    template(InjectionPolicy.Allowed),
                    owner,
                    TemplateSandboxes.DEFAULT_LABEL_DOMAINS))
        .isInstanceOfSatisfying(
            TemplateSandboxes.RejectedClaim.class,
            e -> assertThat(e.reason()).isEqualTo("EnvVarsInjectionRejected"))
        .hasMessageContaining("MODE");
    assertThatThrownBy(
            () ->
                TemplateSandboxes.coldForClaim(
                    claim(List.of(new SandboxClaimSpec.EnvVar("X", "1")), null),
                    template(null),
                    owner,
                    TemplateSandboxes.DEFAULT_LABEL_DOMAINS))
        .hasMessageContaining("Disallowed");
  }

  @Test
  void shouldCheckAdditionalPodMetadataAsUpstreamDoes() {
    SandboxTemplate t = template(null);
    Map<String, String> labels = new HashMap<>();
    Map<String, String> annotations = new HashMap<>();
    TemplateSandboxes.additionalPodMetadata(
        claim(
            null,
            new PodMetadata(
                Map.of("team.sandbox.users.io/a", "1", "sandbox.users.io/tier", "gold"),
                Map.of("example.com/x", "y", UpstreamKeys.SAFE_TO_EVICT, "false"))),
        t,
        TemplateSandboxes.DEFAULT_LABEL_DOMAINS,
        labels,
        annotations);
    assertThat(labels).containsOnlyKeys("team.sandbox.users.io/a", "sandbox.users.io/tier");
    assertThat(annotations).containsOnlyKeys("example.com/x", UpstreamKeys.SAFE_TO_EVICT);
    for (PodMetadata bad :
        List.of(
            new PodMetadata(Map.of("team", "a"), null),
            new PodMetadata(Map.of("app", "sandbox-router"), null),
            new PodMetadata(Map.of("sandbox.users.io/tier", "silver"), null),
            new PodMetadata(null, Map.of("kubernetes.io/x", "y")),
            new PodMetadata(null, Map.of("agents.x-k8s.io/claim-uid", "forged")))) {
      assertThatThrownBy(
              () ->
                  TemplateSandboxes.additionalPodMetadata(
                      claim(null, bad),
                      t,
                      TemplateSandboxes.DEFAULT_LABEL_DOMAINS,
                      new HashMap<>(),
                      new HashMap<>()))
          .as(bad.getLabels() + " " + bad.getAnnotations())
          .isInstanceOfSatisfying(
              TemplateSandboxes.RejectedClaim.class,
              e -> assertThat(e.reason()).isEqualTo("InvalidMetadata"));
    }
  }
}
