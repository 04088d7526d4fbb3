package io.agentsandbox.k8s.crd;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Turns the crd-generator output ({@code target/classes/META-INF/fabric8/<plural>.<group>-v1.yml})
 * into the committed {@code crds/<group>_<plural>.yaml}, named as upstream names them. Stateless.
 *
 * <p>One fix-up: crd-generator 7.5.2 sorts {@code additionalPrinterColumns} by JSON path; we put
 * them back in the order the model declares them (upstream's: Ready, Reason, Age), because {@code
 * kubectl get} shows them in that order.
 */
final class CrdYaml {

  static final String HEADER =
      "# Generated from the Java model in k8s-adapter (io.agentsandbox.k8s.crd) by crd-generator;\n"
          + "# do not edit. Regenerate: scripts/generate-crds.sh\n";

  /** Model class of each served version, keyed {@code <crd name>/<version>}. */
  private static final Map<String, Class<? extends HasMetadata>> MODEL =
      Map.of(
          key(Sandbox.class), Sandbox.class,
          key(io.agentsandbox.k8s.crd.v1alpha1.Sandbox.class),
              io.agentsandbox.k8s.crd.v1alpha1.Sandbox.class,
          key(SandboxTemplate.class), SandboxTemplate.class,
          key(SandboxWarmPool.class), SandboxWarmPool.class,
          key(SandboxClaim.class), SandboxClaim.class);

  private CrdYaml() {}

  private static String key(Class<? extends HasMetadata> c) {
    return HasMetadata.getFullResourceName(c) + "/" + HasMetadata.getVersion(c);
  }

  /** The committed file name of a CRD: {@code <group>_<plural>.yaml}. */
  static String fileName(CustomResourceDefinition crd) {
    return crd.getSpec().getGroup() + "_" + crd.getSpec().getNames().getPlural() + ".yaml";
  }

  /** Reads every generated CRD and renders it as committed: file name to YAML text. */
  static Map<String, String> render(Path generatedDir) {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> files = Files.list(generatedDir)) {
      for (Path f :
          (Iterable<Path>) files.filter(p -> p.toString().endsWith("-v1.yml")).sorted()::iterator) {
        CustomResourceDefinition crd =
            Serialization.unmarshal(
                Files.readString(f, StandardCharsets.UTF_8), CustomResourceDefinition.class);
        fixPrinterColumnOrder(crd);
        out.put(fileName(crd), HEADER + Serialization.asYaml(crd));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  private static void fixPrinterColumnOrder(CustomResourceDefinition crd) {
    for (CustomResourceDefinitionVersion v : crd.getSpec().getVersions()) {
      Class<? extends HasMetadata> model =
          MODEL.get(crd.getMetadata().getName() + "/" + v.getName());
      if (model == null) {
        throw new IllegalStateException(
            "no model class for " + crd.getMetadata().getName() + "/" + v.getName());
      }
      List<String> declared = new ArrayList<>();
      for (AdditionalPrinterColumn c : model.getAnnotationsByType(AdditionalPrinterColumn.class)) {
        declared.add(c.name());
      }
      List<CustomResourceColumnDefinition> cols = new ArrayList<>(v.getAdditionalPrinterColumns());
      cols.sort(Comparator.comparingInt(c -> declared.indexOf(c.getName())));
      v.setAdditionalPrinterColumns(cols);
    }
  }
}
