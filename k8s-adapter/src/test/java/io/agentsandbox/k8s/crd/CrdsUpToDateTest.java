package io.agentsandbox.k8s.crd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code crds/*.yaml} must equal what the Java model generates. With {@code
 * -Dagentsandbox.crds.update=true} (what {@code scripts/generate-crds.sh} passes) it rewrites them
 * instead.
 */
class CrdsUpToDateTest {

  private static final String REGENERATE =
      "crds/ is stale: it differs from the CRDs generated from io.agentsandbox.k8s.crd. "
          + "Regenerate with: scripts/generate-crds.sh (then commit crds/*.yaml)";

  static Path crdsDir() {
    return Path.of(System.getProperty("agentsandbox.crds.dir", "../crds"));
  }

  static Path generatedDir() {
    return Path.of(
        System.getProperty("agentsandbox.generated.crds.dir", "target/classes/META-INF/fabric8"));
  }

  @Test
  void shouldMatchTheGeneratedCrds() throws IOException {
    Map<String, String> expected = CrdYaml.render(generatedDir());
    assertThat(expected)
        .containsOnlyKeys(
            "agents.x-k8s.io_sandboxes.yaml",
            "extensions.agents.x-k8s.io_sandboxtemplates.yaml",
            "extensions.agents.x-k8s.io_sandboxwarmpools.yaml",
            "extensions.agents.x-k8s.io_sandboxclaims.yaml");
    Path dir = crdsDir();
    if (Boolean.getBoolean("agentsandbox.crds.update")) {
      Files.createDirectories(dir);
      for (Map.Entry<String, String> e : expected.entrySet()) {
        Files.writeString(dir.resolve(e.getKey()), e.getValue(), StandardCharsets.UTF_8);
      }
    }
    List<String> committed = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      files
          .filter(p -> p.toString().endsWith(".yaml"))
          .forEach(p -> committed.add(p.getFileName().toString()));
    }
    assertThat(committed).as(REGENERATE).containsExactlyInAnyOrderElementsOf(expected.keySet());
    for (Map.Entry<String, String> e : expected.entrySet()) {
      String actual = Files.readString(dir.resolve(e.getKey()), StandardCharsets.UTF_8);
      assertThat(actual).as(REGENERATE + " [" + e.getKey() + "]").isEqualTo(e.getValue());
    }
  }
}
