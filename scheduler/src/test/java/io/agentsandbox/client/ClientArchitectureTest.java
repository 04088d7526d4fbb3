package io.agentsandbox.client;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The client jar (classifier {@code client}, {@code io/agentsandbox/client/**} only) must work with
 * the JDK and jackson-databind alone: no server class, no Vert.x, no picocli.
 */
class ClientArchitectureTest {

  @Test
  void shouldDependOnlyOnJdkAndJackson() {
    JavaClasses client =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.agentsandbox.client");
    assertThat(client.contain(AgentSandboxClient.class)).isTrue();
    classes()
        .that()
        .resideInAPackage("io.agentsandbox.client..")
        .should()
        .onlyDependOnClassesThat()
        .resideInAnyPackage(
            "io.agentsandbox.client..",
            "java..",
            "javax..",
            "com.fasterxml.jackson.databind..",
            "com.fasterxml.jackson.core..",
            "")
        .check(client);
  }
}
