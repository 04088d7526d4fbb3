package io.agentsandbox.k8s.testing;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension giving integration tests a {@link LocalApiServer} with {@code crds/*.yaml}
 * applied. One control plane per test JVM (started on first use, stopped when the JUnit run ends,
 * or by the JVM shutdown hook); each test class gets its own namespace through {@link
 * TestNamespace}, so classes do not see each other's objects.
 *
 * <p>Resolves parameters of type {@link LocalApiServer}, {@link KubernetesClient} (the shared
 * client; do not close it) and {@link TestNamespace}.
 */
public final class LocalApiServerExtension implements ParameterResolver {

  private static final ExtensionContext.Namespace STORE =
      ExtensionContext.Namespace.create(LocalApiServerExtension.class);

  /** A namespace created for one test class. */
  public record TestNamespace(String name) {}

  /**
   * Wraps the server so JUnit closes it at the end of the run (root-store AutoCloseable values are
   * closed).
   */
  private record Holder(LocalApiServer server) implements AutoCloseable {
    @Override
    public void close() {
      server.close();
    }
  }

  /** The shared server for this JVM, starting it and applying the CRDs on first use. */
  public static LocalApiServer server(ExtensionContext context) {
    return context
        .getRoot()
        .getStore(STORE)
        .getOrComputeIfAbsent(
            "server",
            k -> {
              LocalApiServer s = LocalApiServer.start(crdsDir());
              return new Holder(s);
            },
            Holder.class)
        .server();
  }

  /** {@code crds/} of the repository ({@code -Dagentsandbox.crds.dir}, set by the pom). */
  public static Path crdsDir() {
    return Path.of(System.getProperty("agentsandbox.crds.dir", "../crds"));
  }

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
    Class<?> t = p.getParameter().getType();
    return t == LocalApiServer.class || t == KubernetesClient.class || t == TestNamespace.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext e) {
    Class<?> t = p.getParameter().getType();
    LocalApiServer server = server(e);
    if (t == LocalApiServer.class) return server;
    if (t == KubernetesClient.class) return server.client();
    if (t == TestNamespace.class) {
      ExtensionContext classContext =
          e.getTestClass().isPresent() && e.getParent().isPresent() && e.getTestMethod().isPresent()
              ? e.getParent().get()
              : e;
      return classContext
          .getStore(STORE)
          .getOrComputeIfAbsent(
              "namespace",
              k -> {
                String name =
                    ("it-" + classContext.getRequiredTestClass().getSimpleName())
                        .toLowerCase(Locale.ROOT)
                        .replaceAll("[^a-z0-9-]", "-");
                name =
                    name.substring(0, Math.min(name.length(), 50))
                        + "-"
                        + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xffff));
                return new TestNamespace(server.createNamespace(name));
              },
              TestNamespace.class);
    }
    throw new ParameterResolutionException("unsupported parameter " + t);
  }
}
