package io.agentsandbox.scheduler.backend.local;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The local backend depends on core, the shared data-plane client, the JDK, SLF4J and Jackson only.
 */
class LocalBackendArchitectureTest {

  @Test
  void shouldDependOnlyOnCoreDataPlaneJdkSlf4jAndJackson() {
    JavaClasses local =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.agentsandbox.scheduler.backend.local");
    assertThat(local.contain(LocalProvisioner.class)).isTrue();
    classes()
        .that()
        .resideInAPackage("io.agentsandbox.scheduler.backend.local..")
        .should()
        .onlyDependOnClassesThat()
        .resideInAnyPackage(
            "java..",
            "io.agentsandbox.core..",
            "io.agentsandbox.scheduler.dataplane..",
            "io.agentsandbox.scheduler.backend.local..",
            "org.slf4j..",
            "com.fasterxml.jackson..")
        .check(local);
  }
}
