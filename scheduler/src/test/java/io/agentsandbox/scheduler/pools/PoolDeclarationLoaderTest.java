package io.agentsandbox.scheduler.pools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.model.RuntimeClass;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PoolDeclarationLoaderTest {

  private static final String TEMPLATE =
      """
      apiVersion: extensions.agents.x-k8s.io/v1beta1
      kind: SandboxTemplate
      metadata:
        name: shell
      spec:
        podTemplate:
          spec:
            containers:
            - name: main
              image: busybox:1.36
              resources:
                limits:
                  cpu: 250m
                  memory: 64Mi
      """;

  private static final String POOL =
      """
      apiVersion: extensions.agents.x-k8s.io/v1beta1
      kind: SandboxWarmPool
      metadata:
        name: shell
      spec:
        replicas: 2
        sandboxTemplateRef:
          name: shell
      """;

  @TempDir Path dir;

  private final PoolDeclarationLoader loader = new PoolDeclarationLoader();

  @Test
  void shouldLoadBothExamplePoolsWhenReadingCrdExamples() {
    Path examples = Path.of("../crds/examples");
    assertThat(examples).isDirectory();

    PoolCatalog catalog = loader.load(examples);

    assertThat(catalog.pools()).hasSize(2);
    PoolSpec gvisor = catalog.get(new PoolKey("default", "python-gvisor"));
    assertThat(gvisor).isNotNull();
    assertThat(gvisor.runtimeClass()).isEqualTo(RuntimeClass.GVISOR);
    assertThat(gvisor.replicas()).isEqualTo(10);
    assertThat(gvisor.autoscale())
        .isEqualTo(new io.agentsandbox.core.model.Autoscale(2, 200, 0.99));
    assertThat(gvisor.maxClaimsPerTenant()).isZero();
    assertThat(gvisor.blueprint().templateName()).isEqualTo("python-gvisor");
    assertThat(gvisor.blueprint().image()).isEqualTo("python:3.12-slim");
    assertThat(gvisor.blueprint().command()).containsExactly("sleep", "infinity");
    assertThat(gvisor.blueprint().cpuMillis()).isEqualTo(1_000);
    assertThat(gvisor.blueprint().memoryBytes()).isEqualTo(512L * 1024 * 1024);

    PoolSpec runc = catalog.get(new PoolKey("default", "shell-runc"));
    assertThat(runc).isNotNull();
    assertThat(runc.runtimeClass()).isEqualTo(RuntimeClass.DEFAULT);
    assertThat(runc.replicas()).isEqualTo(5);
    assertThat(runc.maxClaimsPerTenant()).isEqualTo(50);
    assertThat(runc.blueprint().cpuMillis()).isEqualTo(500);
    assertThat(runc.blueprint().memoryBytes()).isEqualTo(256L * 1024 * 1024);

    assertThat(catalog.findByTemplate("default", "python-gvisor", RuntimeClass.GVISOR))
        .isSameAs(gvisor);
    assertThat(catalog.findByTemplate("default", "python-gvisor", RuntimeClass.DEFAULT)).isNull();
  }

  @Test
  void shouldResolvePoolAcrossFilesWhenTemplateIsInAnotherFile() throws IOException {
    write("a-template.yaml", TEMPLATE);
    write("b-pool.yml", POOL);
    write("ignored.txt", "not: [yaml");

    PoolCatalog catalog = loader.load(dir);

    assertThat(catalog.pools())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).isEqualTo(new PoolKey("default", "shell"));
              assertThat(p.replicas()).isEqualTo(2);
              assertThat(p.blueprint().cpuMillis()).isEqualTo(250);
              assertThat(p.blueprint().memoryBytes()).isEqualTo(64L << 20);
            });
  }

  @Test
  void shouldDefaultReplicasToOneWhenUnset() {
    PoolCatalog catalog =
        loader.loadString("x.yaml", TEMPLATE + "---\n" + POOL.replace("  replicas: 2\n", ""));
    assertThat(catalog.pools().get(0).replicas()).isEqualTo(1);
  }

  @Test
  void shouldSkipSandboxDocumentWhenNotATemplateOrPool() throws IOException {
    write(
        "pools.yaml",
        TEMPLATE
            + "---\n"
            + POOL
            + """
        ---
        apiVersion: agents.x-k8s.io/v1alpha1
        kind: Sandbox
        metadata:
          name: one-off
        spec: {}
        """);

    assertThat(loader.load(dir).pools()).hasSize(1);
  }

  @Test
  void shouldNameFileAndFieldWhenTemplateRefNameIsMissing() throws IOException {
    write("pools.yaml", TEMPLATE + "---\n" + POOL.replace("    name: shell\n", ""));
    assertFails("pools.yaml", "spec.sandboxTemplateRef.name", "required");
  }

  @Test
  void shouldNameFileAndFieldWhenTemplateIsNotFound() throws IOException {
    write(
        "pools.yaml",
        TEMPLATE + "---\n" + POOL.replace("    name: shell\n", "    name: nowhere\n"));
    assertFails("pools.yaml", "spec.sandboxTemplateRef.name", "nowhere");
  }

  @Test
  void shouldNameFileAndFieldWhenTemplateIsInAnotherNamespace() throws IOException {
    write(
        "pools.yaml",
        TEMPLATE
            + "---\n"
            + POOL.replace("  name: shell\nspec", "  name: shell\n  namespace: team-a\nspec"));
    assertFails("pools.yaml", "spec.sandboxTemplateRef.name", "team-a");
  }

  @Test
  void shouldNameFileAndFieldWhenReplicasIsNegative() throws IOException {
    write("pools.yaml", TEMPLATE + "---\n" + POOL.replace("replicas: 2", "replicas: -1"));
    assertFails("pools.yaml", "spec.replicas", "-1");
  }

  @Test
  void shouldNameFileAndFieldWhenReplicasIsNotAnInteger() throws IOException {
    write("pools.yaml", TEMPLATE + "---\n" + POOL.replace("replicas: 2", "replicas: two"));
    assertFails("pools.yaml", "spec.replicas");
  }

  @Test
  void shouldNameFileAndFieldWhenApiVersionIsWrong() throws IOException {
    write(
        "pools.yaml",
        TEMPLATE
            + "---\n"
            + POOL.replace(
                "extensions.agents.x-k8s.io/v1beta1", "extensions.agents.x-k8s.io/v1alpha1"));
    assertFails("pools.yaml", "apiVersion", "v1alpha1");
  }

  @Test
  void shouldNameFileAndFieldWhenKindIsUnknown() throws IOException {
    write(
        "pools.yaml",
        TEMPLATE + "---\n" + POOL.replace("kind: SandboxWarmPool", "kind: ConfigMap"));
    assertFails("pools.yaml", "kind", "ConfigMap");
  }

  @Test
  void shouldNameFileWhenYamlIsInvalid() throws IOException {
    write("broken.yaml", "apiVersion: [unterminated\nkind: {\n");
    assertFails("broken.yaml", "invalid YAML");
  }

  @Test
  void shouldNameFileWhenDocumentIsNotAMapping() throws IOException {
    write("list.yaml", "- a\n- b\n");
    assertFails("list.yaml", "not a YAML mapping");
  }

  @Test
  void shouldNameBothFilesWhenPoolIsDeclaredTwice() throws IOException {
    write("a.yaml", TEMPLATE + "---\n" + POOL);
    write("b.yaml", POOL.replace("replicas: 2", "replicas: 3"));
    assertFails("b.yaml", "a.yaml", "default/shell");
  }

  @Test
  void shouldNameFileWhenTemplateIsDeclaredTwice() throws IOException {
    write("pools.yaml", TEMPLATE + "---\n" + TEMPLATE);
    assertFails("pools.yaml", "SandboxTemplate default/shell", "twice");
  }

  @Test
  void shouldNameFileAndAnnotationWhenMaxClaimsPerTenantIsBad() throws IOException {
    for (String bad : new String[] {"\"0\"", "\"-3\"", "lots", "\"2.5\""}) {
      write(
          "pools.yaml",
          TEMPLATE
              + "---\n"
              + POOL.replace(
                  "  name: shell\nspec",
                  "  name: shell\n  annotations:\n    agentsandbox.io/max-claims-per-tenant: "
                      + bad
                      + "\nspec"));
      assertFails("pools.yaml", "metadata.annotations.agentsandbox.io/max-claims-per-tenant");
    }
  }

  @Test
  void shouldNameFileAndFieldWhenMemoryQuantityIsBad() throws IOException {
    write("pools.yaml", TEMPLATE.replace("memory: 64Mi", "memory: lots") + "---\n" + POOL);
    assertFails("pools.yaml", "resources.limits.memory", "lots");
  }

  @Test
  void shouldNameFileAndFieldWhenCpuQuantityIsBad() throws IOException {
    write("pools.yaml", TEMPLATE.replace("cpu: 250m", "cpu: 2Gi") + "---\n" + POOL);
    assertFails("pools.yaml", "resources.limits.cpu", "2Gi");
  }

  @Test
  void shouldNameFileAndFieldWhenTemplateHasNoContainers() throws IOException {
    write(
        "pools.yaml",
        """
        apiVersion: extensions.agents.x-k8s.io/v1beta1
        kind: SandboxTemplate
        metadata:
          name: shell
        spec:
          podTemplate:
            spec:
              containers: []
        """);
    assertFails("pools.yaml", "spec.podTemplate.spec.containers");
  }

  @Test
  void shouldNameFileAndFieldWhenNameIsMissing() throws IOException {
    write("pools.yaml", TEMPLATE.replace("  name: shell\nspec", "  labels: {}\nspec"));
    assertFails("pools.yaml", "metadata.name");
  }

  @Test
  void shouldFailNamingDirectoryWhenPoolsDirIsMissing() {
    Path missing = dir.resolve("nope");
    assertThatThrownBy(() -> loader.load(missing))
        .isInstanceOf(PoolDeclarationException.class)
        .hasMessageContaining("--pools-dir")
        .hasMessageContaining("nope");
  }

  @Test
  void shouldLoadNothingWhenDirectoryIsEmpty() {
    assertThat(loader.load(dir).pools()).isEmpty();
  }

  private static String autoscaledPool(String annotations) {
    return POOL.replace("  name: shell\n", "  name: shell\n  annotations:\n" + annotations);
  }

  @Test
  void shouldReadAutoscaleAnnotations() throws IOException {
    write(
        "p.yaml",
        TEMPLATE
            + "---\n"
            + autoscaledPool(
                "    agentsandbox.io/autoscale: \"true\"\n    agentsandbox.io/max-replicas: \"40\"\n"));
    var a = loader.load(dir).pools().get(0).autoscale();
    assertThat(a).isEqualTo(new io.agentsandbox.core.model.Autoscale(0, 40, 0.99));
  }

  @Test
  void shouldKeepStaticReplicasWithoutAutoscaleAnnotations() throws IOException {
    write("p.yaml", TEMPLATE + "---\n" + POOL);
    assertThat(loader.load(dir).pools().get(0).autoscale()).isNull();
  }

  @Test
  void shouldRejectBadAutoscaleAnnotations() throws IOException {
    write(
        "p.yaml",
        TEMPLATE + "---\n" + autoscaledPool("    agentsandbox.io/autoscale-confidence: \"1.5\"\n"));
    assertFails("autoscale-confidence", "0.5..0.9999");
    write(
        "p.yaml",
        TEMPLATE
            + "---\n"
            + autoscaledPool(
                "    agentsandbox.io/min-replicas: \"9\"\n    agentsandbox.io/max-replicas: \"3\"\n"));
    assertFails("max-replicas", "must be >=");
    write(
        "p.yaml", TEMPLATE + "---\n" + autoscaledPool("    agentsandbox.io/autoscale: \"yes\"\n"));
    assertFails("agentsandbox.io/autoscale", "true");
  }

  private void write(String name, String text) throws IOException {
    Files.writeString(dir.resolve(name), text);
  }

  private void assertFails(String... fragments) {
    var thrown =
        assertThatThrownBy(() -> loader.load(dir)).isInstanceOf(PoolDeclarationException.class);
    for (String f : fragments) thrown.hasMessageContaining(f);
  }
}
