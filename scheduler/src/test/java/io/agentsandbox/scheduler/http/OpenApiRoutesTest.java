package io.agentsandbox.scheduler.http;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.agentsandbox.core.port.AgentLocator;
import io.agentsandbox.core.port.NanoClock;
import io.agentsandbox.scheduler.Main;
import io.agentsandbox.scheduler.pools.PoolCatalog;
import io.agentsandbox.scheduler.shard.ShardRouter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The router and the served OpenAPI document describe the same operations. */
class OpenApiRoutesTest {

  private static final Set<String> HTTP_METHODS =
      Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");

  private static Vertx vertx;
  private static Router router;
  private static JsonNode document;

  @BeforeAll
  static void setUp() throws Exception {
    vertx = Vertx.vertx();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    ApiContext api =
        new ApiContext(
            Main.parseConfig(),
            new ShardRouter(1),
            List.of(),
            new PoolCatalog(List.of()),
            registry,
            NanoClock.SYSTEM,
            () -> true,
            null,
            rc -> null,
            ClaimTokens.random(),
            16 << 20,
            null,
            AgentLocator.NONE);
    router = new ClaimRoutes(api).router(vertx);
    document = new ObjectMapper(new YAMLFactory()).readTree(ClaimRoutes.loadOpenApi().getBytes());
  }

  @AfterAll
  static void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, SECONDS);
  }

  @Test
  void shouldDocumentEveryRouteOfRouter() {
    assertThat(documentedOperations()).containsAll(routedOperations());
  }

  @Test
  void shouldRouteEveryOperationOfDocument() {
    assertThat(routedOperations()).containsAll(documentedOperations());
  }

  @Test
  void shouldBeOpenApi3WithPaths() {
    assertThat(document.path("openapi").asText()).startsWith("3.");
    assertThat(routedOperations())
        .contains(
            "POST /v1/claims",
            "GET /v1/claims/{id}",
            "DELETE /v1/claims/{id}",
            "GET /v1/pools",
            "GET /v1/pools/{namespace}/{name}",
            "GET /metrics",
            "GET /healthz",
            "GET /readyz",
            "GET /openapi.yaml");
  }

  /** "METHOD /path" for each method of each route, with {@code :param} written {@code {param}}. */
  private static Set<String> routedOperations() {
    Set<String> ops = new TreeSet<>();
    for (Route route : router.getRoutes()) {
      String path = route.getPath();
      assertThat(path).as("route without a plain path: %s", route).isNotNull();
      assertThat(route.methods())
          .as("route %s accepts every method", path)
          .isNotNull()
          .isNotEmpty();
      String openApiPath = path.replaceAll(":([A-Za-z0-9_]+)", "{$1}");
      // A trailing wildcard ("/files/*") is the rest of the path: documented as {path}.
      if (!route.isExactPath() && openApiPath.endsWith("/")) openApiPath = openApiPath + "{path}";
      for (HttpMethod m : route.methods()) ops.add(m.name() + " " + openApiPath);
    }
    assertThat(ops).isNotEmpty();
    return ops;
  }

  private static Set<String> documentedOperations() {
    Set<String> ops = new TreeSet<>();
    JsonNode paths = document.path("paths");
    assertThat(paths.isObject()).isTrue();
    for (Iterator<String> p = paths.fieldNames(); p.hasNext(); ) {
      String path = p.next();
      for (Iterator<String> k = paths.get(path).fieldNames(); k.hasNext(); ) {
        String key = k.next();
        if (HTTP_METHODS.contains(key)) ops.add(key.toUpperCase(Locale.ROOT) + " " + path);
      }
    }
    assertThat(ops).isNotEmpty();
    return ops;
  }
}
