package io.agentsandbox.scheduler.backend.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.k8s.backend.KubernetesBackendConfig;
import io.agentsandbox.k8s.testing.LocalApiServer;
import io.agentsandbox.k8s.testing.LocalApiServerExtension;
import io.agentsandbox.scheduler.Main;
import io.agentsandbox.scheduler.SchedulerServer;
import io.agentsandbox.scheduler.backend.local.LocalBackendConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --auth tokenreview} against a real kube-apiserver (its own, so that the last test can stop
 * it): users of the API server's static token file are authenticated by TokenReview and get their
 * tenant from the group {@code agent-sandbox:tenant:<t>} or their username; a made-up token gets
 * {@code 401}; with the API server gone, an unchecked token gets {@code 503}, not {@code 500},
 * while a token checked a moment ago still works from the cache.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TokenReviewAuthIT {

  @TempDir static Path tmp;
  private static LocalApiServer api;
  private static SchedulerServer server;
  private static String base;
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    api = LocalApiServer.start(LocalApiServerExtension.crdsDir());
    api.createNamespace("tr-test");
    Path kubeconfig = KubernetesBackendIT.writeKubeconfig(api, tmp);
    var config =
        Main.parseConfig(
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--backend",
            "kubernetes",
            "--shards",
            "1",
            "--http-instances",
            "1");
    server =
        SchedulerServer.start(
                config,
                LocalBackendConfig.defaults(),
                Main.parseSecurityConfig("--auth", "tokenreview"),
                new KubernetesBackendConfig(kubeconfig, "tr-test"))
            .toCompletionStage()
            .toCompletableFuture()
            .get(120, TimeUnit.SECONDS);
    base = "http://127.0.0.1:" + server.port();
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null)
      server.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    if (api != null) api.close();
  }

  private static HttpResponse<String> call(
      String method, String path, String token, String body, String tenantHeader) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
    if (token != null) b.header("Authorization", "Bearer " + token);
    if (tenantHeader != null) b.header("X-Tenant", tenantHeader);
    if (body != null) b.header("content-type", "application/json");
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @Order(1)
  void shouldAuthenticateApiServerUsersAndTakeTheTenantFromTheGroupOrTheUsername()
      throws Exception {
    String alice = api.userToken("alice");
    assertThat(call("GET", "/v1/pools", alice, null, null).statusCode()).isEqualTo(200);
    // The body is read after the asynchronous check: a claim on an unknown pool is decoded and
    // answered 404.
    HttpResponse<String> unknownPool =
        call("POST", "/v1/claims", alice, "{\"pool\":\"tr-test/nope\"}", null);
    assertThat(unknownPool.statusCode()).as(unknownPool.body()).isEqualTo(404);
    assertThat(unknownPool.body()).contains("unknown_pool");
    // alice's tenant is team-a (her group), not her username.
    HttpResponse<String> forged =
        call("POST", "/v1/claims", alice, "{\"pool\":\"tr-test/nope\",\"tenant\":\"alice\"}", null);
    assertThat(forged.statusCode()).isEqualTo(403);
    assertThat(forged.body()).contains("tenant_mismatch", "team-a");
    // bob has no tenant group: his username is his tenant.
    HttpResponse<String> bob =
        call("POST", "/v1/claims", api.userToken("bob"), "{\"pool\":\"tr-test/nope\"}", "team-a");
    assertThat(bob.statusCode()).isEqualTo(403);
    assertThat(bob.body()).contains("tenant bob");
    assertThat(
            call("POST", "/v1/claims", api.userToken("bob"), "{\"pool\":\"tr-test/nope\"}", "bob")
                .statusCode())
        .isEqualTo(404);
  }

  @Test
  @Order(2)
  void shouldRefuseTokensTheApiServerDoesNotKnowWith401() throws Exception {
    HttpResponse<String> made_up = call("GET", "/v1/pools", "made-up-token-0123456789", null, null);
    assertThat(made_up.statusCode()).isEqualTo(401);
    assertThat(made_up.headers().firstValue("WWW-Authenticate"))
        .get()
        .asString()
        .contains("invalid_token");
    assertThat(made_up.body())
        .contains("did not authenticate this token")
        .doesNotContain("made-up-token");
    HttpResponse<String> none = call("GET", "/v1/pools", null, null, null);
    assertThat(none.statusCode()).isEqualTo(401);
    // The admin's token is a valid user too (system:masters): authenticated as tenant "admin".
    assertThat(call("GET", "/v1/pools", api.token(), null, null).statusCode()).isEqualTo(200);
  }

  @Test
  @Order(3)
  void shouldAnswer503NotA500WhenTheApiServerCannotBeAskedAndKeepCachedAnswers() throws Exception {
    String alice = api.userToken("alice");
    assertThat(call("GET", "/v1/pools", alice, null, null).statusCode())
        .isEqualTo(200); // cached for 30 s
    api.close();
    HttpResponse<String> unchecked =
        call("GET", "/v1/pools", api.userToken("bob") + "-unknown", null, null);
    assertThat(unchecked.statusCode()).as(unchecked.body()).isEqualTo(503);
    assertThat(unchecked.body()).contains("auth_unavailable", "did not answer");
    assertThat(unchecked.headers().firstValue("Retry-After")).isPresent();
    assertThat(call("GET", "/v1/pools", alice, null, null).statusCode())
        .as("cached answer")
        .isEqualTo(200);
  }
}
