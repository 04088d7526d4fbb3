package io.agentsandbox.scheduler;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layout holds: the pure modules import no framework, the Kubernetes adapter never depends on
 * the scheduler, {@code http} knows no backend, the local backend depends only on {@code core}, and
 * no package is split across modules.
 */
class ArchitectureTest {

  private static final JavaClasses PURE =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("io.agentsandbox.core", "io.agentsandbox.warmpool");

  @Test
  void shouldImportPureModules() {
    // Guards the rule below against passing vacuously.
    org.assertj.core.api.Assertions.assertThat(
            PURE.containPackage("io.agentsandbox.core.concurrent"))
        .isTrue();
    org.assertj.core.api.Assertions.assertThat(PURE.containPackage("io.agentsandbox.warmpool"))
        .isTrue();
  }

  @Test
  void shouldKeepCoreAndWarmpoolFreeOfVertxFabric8AndMicrometer() {
    noClasses()
        .that()
        .resideInAnyPackage("io.agentsandbox.core..", "io.agentsandbox.warmpool..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.vertx..", "io.fabric8..", "io.micrometer..", "io.netty..")
        .check(PURE);
  }

  @Test
  void shouldKeepWarmpoolFreeOfSchedulerAndAdapter() {
    noClasses()
        .that()
        .resideInAnyPackage("io.agentsandbox.core..", "io.agentsandbox.warmpool..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.agentsandbox.scheduler..", "io.agentsandbox.k8s..")
        .check(PURE);
  }

  @Test
  void shouldKeepTheKubernetesAdapterOnCoreAndFabric8Only() {
    JavaClasses k8s =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.agentsandbox.k8s");
    org.assertj.core.api.Assertions.assertThat(k8s.containPackage("io.agentsandbox.k8s.backend"))
        .isTrue();
    noClasses()
        .that()
        .resideInAnyPackage("io.agentsandbox.k8s..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.agentsandbox.scheduler..",
            "io.agentsandbox.warmpool..",
            "io.vertx..",
            "io.micrometer..")
        .check(k8s);
  }

  private static final JavaClasses SCHEDULER =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("io.agentsandbox.scheduler");

  @Test
  void shouldKeepHttpFreeOfBackends() {
    assertThat(SCHEDULER.containPackage("io.agentsandbox.scheduler.http")).isTrue();
    noClasses()
        .that()
        .resideInAPackage("io.agentsandbox.scheduler.http..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.agentsandbox.scheduler.backend..", "io.agentsandbox.k8s..", "io.fabric8..")
        .check(SCHEDULER);
  }

  @Test
  void shouldKeepTheLocalBackendOnCoreOnly() {
    assertThat(SCHEDULER.containPackage("io.agentsandbox.scheduler.backend.local")).isTrue();
    classes()
        .that()
        .resideInAPackage("io.agentsandbox.scheduler.backend.local..")
        .should()
        .onlyDependOnClassesThat()
        .resideInAnyPackage(
            "io.agentsandbox.scheduler.backend.local..",
            "io.agentsandbox.scheduler.dataplane..",
            "io.agentsandbox.core..",
            "java..",
            "javax..",
            "org.slf4j..",
            "com.fasterxml.jackson..")
        .check(SCHEDULER);
  }

  @Test
  void shouldKeepTheDataPlaneClientOnCoreOnly() {
    assertThat(SCHEDULER.containPackage("io.agentsandbox.scheduler.dataplane")).isTrue();
    classes()
        .that()
        .resideInAPackage("io.agentsandbox.scheduler.dataplane..")
        .should()
        .onlyDependOnClassesThat()
        .resideInAnyPackage(
            "io.agentsandbox.scheduler.dataplane..",
            "io.agentsandbox.core..",
            "java..",
            "javax..",
            "org.slf4j..",
            "com.fasterxml.jackson..")
        .check(SCHEDULER);
  }

  @Test
  void shouldUseFabric8OnlyInTheKubernetesBackendWiring() {
    noClasses()
        .that()
        .resideInAPackage("io.agentsandbox.scheduler..")
        .and()
        .resideOutsideOfPackage("io.agentsandbox.scheduler.backend.kubernetes..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.fabric8..")
        .check(SCHEDULER);
  }

  /** Maven modules whose sources are scanned for split packages. */
  private static final List<String> MODULES =
      List.of("core", "warmpool", "k8s-adapter", "scheduler", "benchmarks");

  @Test
  void shouldDeclareEachPackageInOneModuleOnly() throws IOException {
    Path root = Path.of("").toAbsolutePath();
    if (!Files.isDirectory(root.resolve("core"))) root = root.getParent(); // run from scheduler/
    Map<String, Set<String>> modulesOf = new TreeMap<>();
    for (String module : MODULES) {
      for (String tree : List.of("src/main/java", "src/test/java")) {
        Path dir = root.resolve(module).resolve(tree);
        if (!Files.isDirectory(dir)) continue;
        try (Stream<Path> files = Files.walk(dir)) {
          for (Path f :
              (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
            String pkg = dir.relativize(f.getParent()).toString().replace('/', '.');
            modulesOf.computeIfAbsent(pkg, k -> new TreeSet<>()).add(module);
          }
        }
      }
    }
    assertThat(modulesOf).containsKey("io.agentsandbox.scheduler.http");
    Map<String, Set<String>> split = new TreeMap<>();
    modulesOf.forEach(
        (pkg, modules) -> {
          if (modules.size() > 1) split.put(pkg, modules);
        });
    assertThat(split).as("packages declared in more than one module").isEmpty();
  }
}
