package io.agentsandbox.scheduler.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentsandbox.client.SimulatedServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAPI document against a real server (simulated backend, API tokens on): every answer of a
 * tour of every operation — successes and each error the server can give there — has a documented
 * status, content type, headers (Retry-After, WWW-Authenticate) and a body matching its schema
 * (required fields, types, enums, no undocumented field); every documented operation is exercised.
 * Exec and file successes are checked on real sandboxes in ClientLocalBackendIT.
 */
class ApiContractTest {

  static final String TOKEN = "contract-token";
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  static SimulatedServer server;
  static OpenApiContract contract;
  static HttpClient http;
  static final List<String> violations = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    contract = new OpenApiContract();
    server = SimulatedServer.start(dir, TOKEN);
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) server.close();
  }

  record Answer(int status, JsonNode json, HttpResponse<byte[]> raw) {}

  static Answer call(String method, String path, Map<String, String> headers, byte[] body)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(server.url + path)).timeout(Duration.ofSeconds(20));
    headers.forEach(b::header);
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(body));
    HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    String rawPath = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
    List<String> problems =
        contract.check(
            method, rawPath, r.statusCode(), h -> r.headers().firstValue(h).orElse(null), r.body());
    synchronized (violations) {
      violations.addAll(problems);
    }
    JsonNode json = null;
    String type = r.headers().firstValue("content-type").orElse("");
    if (type.startsWith("application/json")) json = JSON.readTree(r.body());
    return new Answer(r.statusCode(), json, r);
  }

  static Map<String, String> api(String... more) {
    Map<String, String> h = new java.util.HashMap<>();
    h.put("Authorization", "Bearer " + TOKEN);
    for (int i = 0; i + 1 < more.length; i += 2) h.put(more[i], more[i + 1]);
    return h;
  }

  static byte[] bytes(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  static Answer claim(String body) throws Exception {
    return call("POST", "/v1/claims", api("content-type", "application/json"), bytes(body));
  }

  @Test
  void shouldAnswerEveryOperationAsDocumented() throws Exception {
    // open routes
    assertThat(call("GET", "/healthz", Map.of(), null).status()).isEqualTo(200);
    assertThat(call("GET", "/readyz", Map.of(), null).status()).isEqualTo(200);
    assertThat(call("GET", "/metrics", Map.of(), null).status()).isEqualTo(200);
    assertThat(call("GET", "/openapi.yaml", Map.of(), null).status()).isEqualTo(200);

    // pools
    assertThat(call("GET", "/v1/pools", api(), null).status()).isEqualTo(200);
    assertThat(call("GET", "/v1/pools", Map.of(), null).status()).isEqualTo(401);
    assertThat(call("GET", "/v1/pools/default/" + SimulatedServer.PY, api(), null).status())
        .isEqualTo(200);
    assertThat(call("GET", "/v1/pools/default/nope", api(), null).status()).isEqualTo(404);
    assertThat(call("GET", "/v1/pools/default/nope", Map.of(), null).status()).isEqualTo(401);

    // claims: success and each error
    Answer bound = claim("{\"pool\":\"" + SimulatedServer.PY + "\",\"ttlSeconds\":600}");
    assertThat(bound.status()).isEqualTo(201);
    String id = bound.json().path("claimId").asText();
    String token = bound.json().path("token").asText();
    String sandbox = bound.json().path("sandbox").path("name").asText();
    Answer noTtl = claim("{\"pool\":\"" + SimulatedServer.PY + "\",\"ttlSeconds\":0}");
    assertThat(noTtl.status()).isEqualTo(201);
    assertThat(claim("{\"pool\":\"" + SimulatedServer.PY + "\",\"bogus\":1}").status())
        .isEqualTo(400);
    assertThat(claim("{not json").status()).isEqualTo(400);
    assertThat(
            call("POST", "/v1/claims", Map.of("content-type", "application/json"), bytes("{}"))
                .status())
        .isEqualTo(401);
    assertThat(claim("{\"pool\":\"" + SimulatedServer.PY + "\",\"tenant\":\"bob\"}").status())
        .isEqualTo(403);
    assertThat(claim("{\"pool\":\"nope\"}").status()).isEqualTo(404);
    assertThat(call("POST", "/v1/claims", api("content-type", "text/plain"), bytes("x")).status())
        .isEqualTo(415);
    assertThat(claim("{\"pool\":\"" + "x".repeat(70_000) + "\"}").status()).isEqualTo(413);
    Answer quotaHolder = claim("{\"pool\":\"" + SimulatedServer.CAPPED + "\"}");
    assertThat(quotaHolder.status()).isEqualTo(201);
    assertThat(claim("{\"pool\":\"" + SimulatedServer.CAPPED + "\"}").status()).isEqualTo(429);
    assertThat(
            claim("{\"pool\":\"" + SimulatedServer.EMPTY + "\",\"onEmpty\":\"reject\"}").status())
        .isEqualTo(503);
    assertThat(claim("{\"pool\":\"" + SimulatedServer.SLOW + "\",\"waitMs\":20}").status())
        .isEqualTo(504);

    // one claim
    assertThat(call("GET", "/v1/claims/" + id, api(), null).status()).isEqualTo(200);
    assertThat(call("GET", "/v1/claims/" + id, Map.of(), null).status()).isEqualTo(401);
    assertThat(call("GET", "/v1/claims/" + id, api("X-Tenant", "bob"), null).status())
        .isEqualTo(403);
    assertThat(call("GET", "/v1/claims/cl-0-nope", api(), null).status()).isEqualTo(404);

    // exec and files: every error the simulated backend can give
    Map<String, String> claimAuth = Map.of("Authorization", "Bearer " + token);
    Map<String, String> execHeaders =
        Map.of("Authorization", "Bearer " + token, "content-type", "application/json");
    byte[] echo = bytes("{\"command\":[\"echo\",\"hi\"]}");
    String exec = "/v1/sandboxes/" + sandbox + "/exec";
    assertThat(call("POST", exec, execHeaders, echo).status()).isEqualTo(501);
    assertThat(call("POST", exec + "?stream=true", execHeaders, echo).status()).isEqualTo(501);
    assertThat(call("POST", "/v1/sandboxes/" + id + "/exec", execHeaders, echo).status())
        .isEqualTo(501);
    assertThat(call("POST", exec, Map.of("content-type", "application/json"), echo).status())
        .isEqualTo(401);
    assertThat(
            call(
                    "POST",
                    exec,
                    Map.of("Authorization", "Bearer forged", "content-type", "application/json"),
                    echo)
                .status())
        .isEqualTo(401);
    assertThat(call("POST", "/v1/sandboxes/someone-else/exec", execHeaders, echo).status())
        .isEqualTo(403);
    assertThat(call("POST", exec, execHeaders, bytes("{\"command\":[]}")).status()).isEqualTo(400);
    assertThat(call("POST", exec + "?stream=maybe", execHeaders, echo).status()).isEqualTo(400);
    assertThat(
            call(
                    "POST",
                    exec,
                    Map.of("Authorization", "Bearer " + token, "content-type", "text/plain"),
                    echo)
                .status())
        .isEqualTo(415);
    String file = "/v1/sandboxes/" + sandbox + "/files/dir/f.txt";
    assertThat(call("GET", file, claimAuth, null).status()).isEqualTo(501);
    assertThat(call("PUT", file, claimAuth, bytes("x")).status()).isEqualTo(501);
    assertThat(call("DELETE", file, claimAuth, null).status()).isEqualTo(501);
    assertThat(call("GET", file, Map.of(), null).status()).isEqualTo(401);
    assertThat(call("PUT", file, Map.of(), bytes("x")).status()).isEqualTo(401);
    assertThat(call("DELETE", file, Map.of(), null).status()).isEqualTo(401);
    assertThat(call("GET", "/v1/sandboxes/" + sandbox + "/files/a%01b", claimAuth, null).status())
        .isEqualTo(400);

    // release; then the claim and its token are gone
    assertThat(call("DELETE", "/v1/claims/" + id, Map.of(), null).status()).isEqualTo(401);
    assertThat(call("DELETE", "/v1/claims/" + id, api("X-Tenant", "bob"), null).status())
        .isEqualTo(403);
    assertThat(call("DELETE", "/v1/claims/" + id, api(), null).status()).isEqualTo(204);
    assertThat(call("DELETE", "/v1/claims/" + id, api(), null).status()).isEqualTo(404);
    assertThat(call("POST", exec, execHeaders, echo).status()).isEqualTo(404);
    assertThat(call("GET", file, claimAuth, null).status()).isEqualTo(404);
    for (Answer a : List.of(noTtl, quotaHolder)) {
      String other = a.json().path("claimId").asText();
      assertThat(call("DELETE", "/v1/claims/" + other, api(), null).status()).isEqualTo(204);
    }

    // errors before any operation: the "default" answer
    assertThat(call("PATCH", "/v1/claims", api(), bytes("{}")).status()).isEqualTo(405);

    assertThat(violations).as("answers that do not match openapi.yaml").isEmpty();
    assertThat(contract.exercisedOperations())
        .as("every documented operation exercised")
        .containsAll(contract.documentedOperations());
  }

  @Test
  void shouldHaveExamplesThatMatchTheirSchemas() {
    List<String> problems = new ArrayList<>();
    contract
        .api()
        .getPaths()
        .forEach(
            (path, item) ->
                item.readOperationsMap()
                    .forEach(
                        (method, op) -> {
                          op.getResponses()
                              .forEach(
                                  (status, response) -> {
                                    if (response.getContent() == null) return;
                                    response
                                        .getContent()
                                        .forEach(
                                            (type, media) -> {
                                              if (media.getExample() == null) return;
                                              JsonNode example =
                                                  JSON.valueToTree(media.getExample());
                                              for (String p :
                                                  OpenApiContract.validate(
                                                      media.getSchema(), example))
                                                problems.add(
                                                    method + " " + path + " " + status + ": " + p);
                                            });
                                  });
                        }));
    assertThat(problems).isEmpty();
  }
}
