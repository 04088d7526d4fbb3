package io.agentsandbox.scheduler;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The pure modules stay pure: {@code core} and {@code warmpool} import no framework. */
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
}
