package io.agentsandbox.scheduler.http;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.agentsandbox.scheduler.Main;
import io.agentsandbox.scheduler.SchedulerServer;
import io.agentsandbox.scheduler.TestPools;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The HTTP claim API end to end against one server on a free port, with a simulated backend whose
 * sandboxes are ready at once (except the Kata class, which takes a minute, to force deadlines).
 * Every response is checked never to be a 500.
 */
class ClaimApiTest {

  private static final String NS = "default";

  /** Warm gVisor pool of template "python": the general-purpose pool. */
  private static final String PY = "py-warm";

  /** Warm default-runtime pool of template "shell". */
  private static final String SHELL = "shell-warm";

  /** Pool with a per-tenant cap of 2. */
  private static final String CAPPED = "capped";

  /** Pools with no warm sandbox. */
  private static final String EMPTY_REJECT = "empty-reject";

  private static final String EMPTY_COLD = "empty-cold";
  private static final String KATA_EMPTY = "kata-empty";

  /** Pool nothing claims from, so its counts only change if a rejected request leaks through. */
  private static final String QUIET = "quiet";

  private static final int PY_REPLICAS = 5;

  @TempDir static Path poolsDir;

  private static SchedulerServer server;
  private static Vertx clientVertx;
  private static WebClient client;

  @BeforeAll
  static void startServer() throws Exception {
    Files.writeString(
        poolsDir.resolve("pools.yaml"),
        String.join(
            "\n",
            template("python", "gvisor"),
            template("shell", null),
            template("kata-box", "kata"),
            pool(PY, "python", PY_REPLICAS, null),
            pool(SHELL, "shell", 3, null),
            pool(CAPPED, "shell", 4, "2"),
            pool(EMPTY_REJECT, "shell", 0, null),
            pool(EMPTY_COLD, "shell", 0, null),
            pool(KATA_EMPTY, "kata-box", 0, null),
            pool(QUIET, "shell", 2, null)));
    server =
        SchedulerServer.start(
                Main.parseConfig(
                    "--port", "0",
                    "--backend", "simulated",
                    "--pools-dir", poolsDir.toString(),
                    "--shards", "2",
                    "--http-instances", "2",
                    "--simulated-latency", "gvisor=0,default=0,kata=60000,*=0"))
            .toCompletionStage()
            .toCompletableFuture()
            .get(30, SECONDS);
    clientVertx = Vertx.vertx();
    client = WebClient.create(clientVertx);
    awaitReady(PY, PY_REPLICAS);
    awaitReady(SHELL, 3);
    awaitReady(CAPPED, 4);
    awaitReady(QUIET, 2);
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (client != null) client.close();
    if (clientVertx != null)
      clientVertx.close().toCompletionStage().toCompletableFuture().get(10, SECONDS);
    if (server != null) server.close().toCompletionStage().toCompletableFuture().get(30, SECONDS);
  }

  // ---------------------------------------------------------------- claim lifecycle

  @Test
  void shouldBindWarmSandboxWhenClaimingFromReadyPool() {
    Resp created = claim(null, new JsonObject().put("pool", PY));

    assertThat(created.status).isEqualTo(201);
    JsonObject claim = created.json();
    String id = claim.getString("claimId");
    assertThat(id).matches("cl-[0-9]+-[a-z2-7]{20}");
    assertThat(created.headers.get("Location")).isEqualTo("/v1/claims/" + id);
    assertThat(claim.getString("status")).isEqualTo("Bound");
    assertThat(claim.getString("launchType")).isEqualTo("warm");
    assertThat(claim.getValue("waitedMs")).isInstanceOf(Number.class);
    assertThat(claim.getDouble("waitedMs")).isGreaterThanOrEqualTo(0.0);
    assertThat(claim.getString("tenant")).isEqualTo("default");
    assertThat(claim.getJsonObject("pool"))
        .isEqualTo(new JsonObject().put("namespace", NS).put("name", PY));
    JsonObject sandbox = claim.getJsonObject("sandbox");
    assertThat(sandbox.getString("name")).isNotBlank();
    assertThat(sandbox.getJsonArray("podIPs")).isNotEmpty();
    assertThat(sandbox.getString("runtimeClassName")).isEqualTo("gvisor");
    assertThat(sandbox.getBoolean("simulated")).isTrue();

    Resp read = request(HttpMethod.GET, "/v1/claims/" + id, null);
    assertThat(read.status).isEqualTo(200);
    assertThat(read.json().getString("claimId")).isEqualTo(id);
    assertThat(read.json().getString("status")).isEqualTo("Bound");
    assertThat(read.json().getJsonObject("sandbox")).isEqualTo(sandbox);

    assertThat(request(HttpMethod.DELETE, "/v1/claims/" + id, null).status).isEqualTo(204);
    assertError(request(HttpMethod.GET, "/v1/claims/" + id, null), 404, "id");
    assertError(request(HttpMethod.DELETE, "/v1/claims/" + id, null), 404, "id");
  }

  @Test
  void shouldNeverHandOutReleasedSandboxAgain() {
    Set<String> seen = new HashSet<>();
    // More rounds than the pool holds, so replenished members are handed out too.
    for (int i = 0; i < PY_REPLICAS * 2 + 1; i++) {
      Resp created = claim("reuse", new JsonObject().put("pool", PY));
      assertThat(created.status).isEqualTo(201);
      String name = created.json().getJsonObject("sandbox").getString("name");
      assertThat(seen.add(name)).as("sandbox %s handed out twice", name).isTrue();
      assertThat(
              request(
                      HttpMethod.DELETE,
                      "/v1/claims/" + created.json().getString("claimId"),
                      "reuse")
                  .status)
          .isEqualTo(204);
    }
  }

  @Test
  void shouldClaimFromPoolOfTemplateAndRuntimeClass() {
    Resp byTemplate =
        claim(null, new JsonObject().put("template", "python").put("runtimeClassName", "gvisor"));
    assertThat(byTemplate.status).isEqualTo(201);
    assertThat(byTemplate.json().getJsonObject("pool").getString("name")).isEqualTo(PY);
    assertThat(byTemplate.json().getJsonObject("sandbox").getString("runtimeClassName"))
        .isEqualTo("gvisor");
    release(byTemplate, null);

    Resp shell = claim(null, new JsonObject().put("template", "shell"));
    assertThat(shell.status).isEqualTo(201);
    assertThat(shell.json().getJsonObject("pool").getString("name")).isEqualTo(SHELL);
    assertThat(shell.json().getJsonObject("sandbox").getString("runtimeClassName"))
        .isEqualTo("default");
    release(shell, null);

    // "default", as responses show an unset runtime class, is accepted back.
    Resp shellDefault =
        claim(null, new JsonObject().put("template", "shell").put("runtimeClassName", "default"));
    assertThat(shellDefault.status).isEqualTo(201);
    release(shellDefault, null);

    Resp byPoolWithNamespace =
        claim(null, new JsonObject().put("pool", NS + "/" + PY).put("runtimeClassName", "gvisor"));
    assertThat(byPoolWithNamespace.status).isEqualTo(201);
    release(byPoolWithNamespace, null);
  }

  @Test
  void shouldAnswer404NamingTemplateWhenNoPoolServesIt() {
    assertError(claim(null, new JsonObject().put("template", "no-such-template")), 404, "template");
    assertError(
        claim(null, new JsonObject().put("template", "python").put("runtimeClassName", "kata")),
        404,
        "template");
  }

  @Test
  void shouldAnswer404NamingPoolWhenPoolIsUnknown() {
    assertError(claim(null, new JsonObject().put("pool", "no-such-pool")), 404, "pool");
    assertError(claim(null, new JsonObject().put("pool", "other-ns/" + PY)), 404, "pool");
  }

  // ---------------------------------------------------------------- 400s

  static Stream<Arguments> invalidClaimBodies() {
    return Stream.of(
        Arguments.of("malformed JSON", "{\"pool\": ", "body"),
        Arguments.of("trailing garbage", "{\"pool\":\"" + QUIET + "\"} x", "body"),
        Arguments.of("array", "[\"" + QUIET + "\"]", "body"),
        Arguments.of("string", "\"" + QUIET + "\"", "body"),
        Arguments.of("number", "42", "body"),
        Arguments.of("null", "null", "body"),
        Arguments.of("empty body", "", "body"),
        Arguments.of("empty object", "{}", "pool"),
        Arguments.of("pool as number", "{\"pool\": 7}", "pool"),
        Arguments.of("pool empty", "{\"pool\": \"\"}", "pool"),
        Arguments.of("pool not a DNS name", "{\"pool\": \"Not_A_Pool\"}", "pool"),
        Arguments.of("pool and template", body("\"template\": \"shell\""), "template"),
        Arguments.of(
            "runtime class differs from pool's",
            body("\"runtimeClassName\": \"gvisor\""),
            "runtimeClassName"),
        Arguments.of("namespace not a DNS label", body("\"namespace\": \"Bad NS\""), "namespace"),
        Arguments.of("waitMs as string", body("\"waitMs\": \"10\""), "waitMs"),
        Arguments.of("waitMs fractional", body("\"waitMs\": 1.5"), "waitMs"),
        Arguments.of("waitMs negative", body("\"waitMs\": -1"), "waitMs"),
        Arguments.of("waitMs above max", body("\"waitMs\": 300001"), "waitMs"),
        Arguments.of("waitMs 1e400", body("\"waitMs\": 1e400"), "waitMs"),
        Arguments.of(
            "waitMs huge integer", body("\"waitMs\": 123456789012345678901234567890"), "waitMs"),
        Arguments.of("priority as boolean", body("\"priority\": true"), "priority"),
        Arguments.of("priority 5000", body("\"priority\": 5000"), "priority"),
        Arguments.of("priority -5000", body("\"priority\": -5000"), "priority"),
        Arguments.of("ttlSeconds negative", body("\"ttlSeconds\": -1"), "ttlSeconds"),
        Arguments.of("ttlSeconds absurd", body("\"ttlSeconds\": 1000000000000"), "ttlSeconds"),
        Arguments.of("onEmpty unknown", body("\"onEmpty\": \"maybe\""), "onEmpty"),
        Arguments.of("onEmpty as object", body("\"onEmpty\": {}"), "onEmpty"),
        Arguments.of("unknown field", body("\"poool\": \"x\""), "poool"),
        Arguments.of("tenant invalid", body("\"tenant\": \"a b\""), "tenant"));
  }

  private static String body(String extraField) {
    return "{\"pool\": \"" + QUIET + "\", " + extraField + "}";
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidClaimBodies")
  void shouldAnswer400NamingFieldWhenClaimBodyIsInvalid(
      String description, String body, String field) {
    assertError(post(body, "application/json", null), 400, field);
  }

  @Test
  void shouldAnswer4xxNot5xxWhenBodyIsDeeplyNested() {
    String nested = "{\"pool\": " + "[".repeat(5_000) + "]".repeat(5_000) + "}";
    Resp r = post(nested, "application/json", null);
    assertThat(r.status).isBetween(400, 499);
    assertThat(r.error().getString("message")).isNotBlank();

    String nestedObjects = "{\"pool\": " + "{\"a\":".repeat(5_000) + "1" + "}".repeat(5_000) + "}";
    Resp r2 = post(nestedObjects, "application/json", null);
    assertThat(r2.status).isBetween(400, 499);
  }

  @Test
  void shouldAnswer400NamingTenantHeaderWhenItIsInvalid() {
    assertError(post("{\"pool\": \"" + QUIET + "\"}", "application/json", "a b"), 400, "X-Tenant");
    assertError(
        request(HttpMethod.GET, "/v1/claims/cl-0-aaaaaaaaaaaaaaaaaaaa", "a b"), 400, "X-Tenant");
    assertError(
        request(HttpMethod.DELETE, "/v1/claims/cl-0-aaaaaaaaaaaaaaaaaaaa", "a b"), 400, "X-Tenant");
  }

  @Test
  void shouldAnswer400WhenBodyTenantDiffersFromHeader() {
    assertError(post(body("\"tenant\": \"alice\""), "application/json", "bob"), 400, "tenant");
  }

  @Test
  void shouldChangeNothingWhenRequestsAreRejected() {
    JsonObject before = quietPool();
    String metricsBefore = claimCounters(QUIET);

    invalidClaimBodies().forEach(a -> post((String) a.get()[1], "application/json", null));
    post(body("\"tenant\": \"alice\""), "application/json", "bob");
    post("{\"pool\": \"" + QUIET + "\"}", "application/json", "a b");
    post("{\"pool\":\"" + QUIET + "\"}", "text/plain", null);
    post(
        "{\"pool\":\"" + QUIET + "\",\"x\":\"" + "a".repeat(70_000) + "\"}",
        "application/json",
        null);
    request(HttpMethod.PUT, "/v1/claims", null);

    assertThat(quietPool()).isEqualTo(before);
    assertThat(claimCounters(QUIET)).isEqualTo(metricsBefore);
  }

  private static JsonObject quietPool() {
    Resp r = request(HttpMethod.GET, "/v1/pools/" + NS + "/" + QUIET, null);
    assertThat(r.status).isEqualTo(200);
    JsonObject p = r.json();
    p.remove("shardQueueDepth");
    return p;
  }

  private static String claimCounters(String pool) {
    StringBuilder sb = new StringBuilder();
    for (String line : request(HttpMethod.GET, "/metrics", null).body.toString().split("\n")) {
      if (line.startsWith("agent_sandbox_claims_total{") && line.contains("pool=\"" + pool + "\""))
        sb.append(line).append('\n');
    }
    assertThat(sb).isNotEmpty();
    return sb.toString();
  }

  // ---------------------------------------------------------------- GET/DELETE errors

  @Test
  void shouldAnswer404WhenClaimIdIsMalformedOrUnknown() {
    for (String id :
        List.of(
            "nope",
            "cl-0-short",
            "cl-0-AAAAAAAAAAAAAAAAAAAA",
            "cl-99-aaaaaaaaaaaaaaaaaaaa",
            "cl-x-aaaaaaaaaaaaaaaaaaaa",
            "cl-0-aaaaaaaaaaaaaaaaaaaa1",
            "%E2%98%83")) {
      assertError(request(HttpMethod.GET, "/v1/claims/" + id, null), 404, "id");
      assertError(request(HttpMethod.DELETE, "/v1/claims/" + id, null), 404, "id");
    }
    for (String id : List.of("cl-0-aaaaaaaaaaaaaaaaaaaa", "cl-1-zzzzzzzzzzzzzzzzzzzz")) {
      assertError(request(HttpMethod.GET, "/v1/claims/" + id, null), 404, "id");
      assertError(request(HttpMethod.DELETE, "/v1/claims/" + id, null), 404, "id");
    }
  }

  @Test
  void shouldAnswer403AndChangeNothingWhenAnotherTenantTouchesClaim() {
    Resp created = claim("alice", new JsonObject().put("pool", PY));
    assertThat(created.status).isEqualTo(201);
    String id = created.json().getString("claimId");

    assertError(request(HttpMethod.GET, "/v1/claims/" + id, "other"), 403, "X-Tenant");
    assertError(request(HttpMethod.DELETE, "/v1/claims/" + id, "other"), 403, "X-Tenant");
    // No header means tenant "default", which is not alice either.
    assertError(request(HttpMethod.DELETE, "/v1/claims/" + id, null), 403, "X-Tenant");

    Resp still = request(HttpMethod.GET, "/v1/claims/" + id, "alice");
    assertThat(still.status).isEqualTo(200);
    assertThat(still.json().getString("status")).isEqualTo("Bound");
    assertThat(still.json().getJsonObject("sandbox"))
        .isEqualTo(created.json().getJsonObject("sandbox"));
    assertThat(request(HttpMethod.DELETE, "/v1/claims/" + id, "alice").status).isEqualTo(204);
  }

  @Test
  void shouldAcceptTenantFromBodyWhenHeaderIsAbsent() {
    Resp created = claim(null, new JsonObject().put("pool", PY).put("tenant", "carol"));
    assertThat(created.status).isEqualTo(201);
    assertThat(created.json().getString("tenant")).isEqualTo("carol");
    assertThat(
            request(HttpMethod.GET, "/v1/claims/" + created.json().getString("claimId"), "carol")
                .status)
        .isEqualTo(200);
    release(created, "carol");
  }

  // ---------------------------------------------------------------- transport errors

  @Test
  void shouldAnswer413WhenBodyIsLargerThan64KiB() {
    String big = "{\"pool\":\"" + QUIET + "\",\"x\":\"" + "a".repeat(64 * 1024) + "\"}";
    assertError(post(big, "application/json", null), 413, "body");
  }

  @Test
  void shouldAnswer413WhenChunkedBodyIsLargerThan64KiB() throws Exception {
    String big = "{\"pool\":\"" + QUIET + "\",\"x\":\"" + "a".repeat(64 * 1024) + "\"}";
    io.vertx.core.http.HttpClient http = clientVertx.createHttpClient();
    try {
      // The body is read on the event loop, in the same chain, so none of it is lost.
      Resp r =
          http.request(HttpMethod.POST, server.port(), "127.0.0.1", "/v1/claims")
              .compose(
                  req -> {
                    req.setChunked(true).putHeader("content-type", "application/json");
                    for (int i = 0; i < big.length(); i += 4096)
                      req.write(big.substring(i, Math.min(big.length(), i + 4096)));
                    return req.end().compose(v -> req.response());
                  })
              .compose(
                  response ->
                      response
                          .body()
                          .map(body -> new Resp(response.statusCode(), response.headers(), body)))
              .toCompletionStage()
              .toCompletableFuture()
              .get(10, SECONDS);
      assertError(r, 413, "body");
    } finally {
      http.close();
    }
  }

  @Test
  void shouldAnswer415WhenContentTypeIsNotJson() {
    assertError(post("{\"pool\":\"" + QUIET + "\"}", "text/plain", null), 415, "content-type");
    assertError(
        post("{\"pool\":\"" + QUIET + "\"}", "application/jsonx", null), 415, "content-type");
  }

  @Test
  void shouldAnswer405WhenMethodIsNotAllowed() {
    assertError(request(HttpMethod.PUT, "/v1/claims", null), 405, null);
    assertError(request(HttpMethod.GET, "/v1/claims", null), 405, null);
    assertError(request(HttpMethod.POST, "/v1/pools", null), 405, null);
  }

  @Test
  void shouldAnswer404WhenRouteIsUnknown() {
    assertError(request(HttpMethod.GET, "/v2/claims", null), 404, null);
    assertError(request(HttpMethod.GET, "/", null), 404, null);
  }

  // ---------------------------------------------------------------- back-pressure and empty pools

  @Test
  void shouldAnswer429WithRetryAfterWhenTenantHoldsItsCap() {
    List<Resp> held = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      Resp r = claim("greedy", new JsonObject().put("pool", CAPPED));
      assertThat(r.status).isEqualTo(201);
      held.add(r);
    }

    Resp third = claim("greedy", new JsonObject().put("pool", CAPPED));
    assertError(third, 429, null);
    assertThat(third.error().getString("code")).isEqualTo("tenant_quota");
    assertThat(Long.parseLong(third.headers.get("Retry-After"))).isPositive();

    Resp other = claim("modest", new JsonObject().put("pool", CAPPED));
    assertThat(other.status).isEqualTo(201);

    release(other, "modest");
    release(held.get(0), "greedy");
    // A released slot is usable again.
    Resp again = claim("greedy", new JsonObject().put("pool", CAPPED));
    assertThat(again.status).isEqualTo(201);
    release(again, "greedy");
    release(held.get(1), "greedy");
  }

  @Test
  void shouldAnswer503WithRetryAfterAndChangeNothingWhenRejectingOnEmptyPool() {
    JsonObject before = pool(EMPTY_REJECT);

    Resp r = claim(null, new JsonObject().put("pool", EMPTY_REJECT).put("onEmpty", "reject"));
    assertError(r, 503, null);
    assertThat(r.error().getString("code")).isEqualTo("pool_empty");
    assertThat(Long.parseLong(r.headers.get("Retry-After"))).isPositive();
    // waitMs 0 means "do not wait" too.
    assertError(
        claim(null, new JsonObject().put("pool", EMPTY_REJECT).put("waitMs", 0)), 503, null);

    JsonObject after = pool(EMPTY_REJECT);
    for (String count :
        List.of(
            "ready",
            "starting",
            "claimed",
            "desired",
            "pending",
            "deleting",
            "claimsWarm",
            "claimsCold")) {
      assertThat(after.getInteger(count)).as(count).isEqualTo(before.getInteger(count));
    }
  }

  @Test
  void shouldAnswer504WhenNoSandboxIsReadyBeforeWaitDeadline() {
    Resp r =
        claim(
            null,
            new JsonObject().put("pool", KATA_EMPTY).put("onEmpty", "wait").put("waitMs", 50));
    assertError(r, 504, null);
    assertThat(r.error().getString("code")).isEqualTo("deadline_exceeded");
    assertThat(pool(KATA_EMPTY).getInteger("pending")).isZero();
  }

  @Test
  void shouldStartColdSandboxWhenPoolIsEmptyAndClaimAsksForCold() {
    Resp r =
        claim(
            null,
            new JsonObject().put("pool", EMPTY_COLD).put("onEmpty", "cold").put("waitMs", 5_000));
    assertThat(r.status).isEqualTo(201);
    assertThat(r.json().getString("launchType")).isEqualTo("cold");
    assertThat(r.json().getString("status")).isEqualTo("Bound");
    assertThat(pool(EMPTY_COLD).getInteger("claimsCold")).isPositive();
    release(r, null);
  }

  // ---------------------------------------------------------------- pools and operations

  @Test
  void shouldListEveryPoolWithItsCounts() {
    Resp r = request(HttpMethod.GET, "/v1/pools", null);
    assertThat(r.status).isEqualTo(200);
    JsonArray pools = r.json().getJsonArray("pools");
    List<String> names = new ArrayList<>();
    for (int i = 0; i < pools.size(); i++) {
      JsonObject p = pools.getJsonObject(i);
      names.add(p.getString("name"));
      assertThat(p.getString("namespace")).isEqualTo(NS);
      for (String count :
          List.of("ready", "starting", "claimed", "desired", "pending", "replicas")) {
        assertThat(p.getValue(count))
            .as(p.getString("name") + "." + count)
            .isInstanceOf(Integer.class);
      }
      assertThat(p.getValue("warmHitRatio")).isInstanceOf(Number.class);
      assertThat(p.getBoolean("simulated")).isTrue();
    }
    assertThat(names)
        .containsExactlyInAnyOrder(PY, SHELL, CAPPED, EMPTY_REJECT, EMPTY_COLD, KATA_EMPTY, QUIET);
    assertThat(names).isSorted();

    JsonObject py = pool(PY);
    assertThat(py.getString("template")).isEqualTo("python");
    assertThat(py.getString("runtimeClassName")).isEqualTo("gvisor");
    assertThat(py.getInteger("replicas")).isEqualTo(PY_REPLICAS);

    assertError(request(HttpMethod.GET, "/v1/pools/" + NS + "/no-such-pool", null), 404, "pool");
    assertError(request(HttpMethod.GET, "/v1/pools/Bad_NS/" + PY, null), 404, "pool");
  }

  @Test
  void shouldServeHealthReadinessMetricsAndOpenApi() {
    assertThat(request(HttpMethod.GET, "/healthz", null).status).isEqualTo(200);
    Resp ready = request(HttpMethod.GET, "/readyz", null);
    assertThat(ready.status).isEqualTo(200);
    assertThat(ready.json().getString("status")).isEqualTo("ready");

    // A claim first, so the wait timer has recorded something.
    release(claim(null, new JsonObject().put("pool", PY)), null);
    Resp metrics = request(HttpMethod.GET, "/metrics", null);
    assertThat(metrics.status).isEqualTo(200);
    assertThat(metrics.headers.get("content-type")).startsWith("text/plain");
    assertThat(metrics.body.toString())
        .contains("agent_sandbox_pool_ready{")
        .contains("agent_sandbox_claims_total{")
        .contains("agent_sandbox_claim_wait_seconds_bucket{")
        .contains("agent_sandbox_shard_queue_depth{");

    Resp openApi = request(HttpMethod.GET, "/openapi.yaml", null);
    assertThat(openApi.status).isEqualTo(200);
    assertThat(openApi.headers.get("content-type")).isEqualTo("application/yaml");
    assertThat(openApi.body.toString()).startsWith("openapi: 3");
    JsonNode doc;
    try {
      doc = new ObjectMapper(new YAMLFactory()).readTree(openApi.body.getBytes());
    } catch (java.io.IOException e) {
      throw new AssertionError("/openapi.yaml is not valid YAML: " + e.getMessage(), e);
    }
    assertThat(doc.path("paths").has("/v1/claims")).isTrue();
  }

  // ---------------------------------------------------------------- helpers

  /** A response, with the body read in full. */
  private record Resp(int status, MultiMap headers, Buffer body) {
    JsonObject json() {
      return new JsonObject(body);
    }

    JsonObject error() {
      return json().getJsonObject("error");
    }

    @Override
    public String toString() {
      return status + " " + (body == null ? "" : body.toString());
    }
  }

  private static void assertError(Resp r, int status, String field) {
    assertThat(r.status).as("%s", r).isEqualTo(status);
    assertThat(r.headers.get("content-type")).isEqualTo("application/json");
    JsonObject error = r.error();
    assertThat(error).as("%s", r).isNotNull();
    assertThat(error.getInteger("status")).isEqualTo(status);
    assertThat(error.getString("code")).isNotBlank();
    assertThat(error.getString("message")).as("%s", r).isNotBlank();
    if (field != null) assertThat(error.getString("field")).as("%s", r).isEqualTo(field);
  }

  private static Resp claim(String tenant, JsonObject body) {
    return post(body.encode(), "application/json", tenant);
  }

  private static void release(Resp created, String tenant) {
    assertThat(created.status).as("%s", created).isEqualTo(201);
    Resp r =
        request(HttpMethod.DELETE, "/v1/claims/" + created.json().getString("claimId"), tenant);
    assertThat(r.status).as("%s", r).isEqualTo(204);
  }

  private static JsonObject pool(String name) {
    Resp r = request(HttpMethod.GET, "/v1/pools/" + NS + "/" + name, null);
    assertThat(r.status).as("%s", r).isEqualTo(200);
    return r.json();
  }

  private static Resp post(String body, String contentType, String tenant) {
    return send(HttpMethod.POST, "/v1/claims", tenant, contentType, Buffer.buffer(body));
  }

  private static Resp request(HttpMethod method, String uri, String tenant) {
    return send(method, uri, tenant, null, null);
  }

  /** Sends one request and waits at most 10 s; no response may ever be a 500. */
  private static Resp send(
      HttpMethod method, String uri, String tenant, String contentType, Buffer body) {
    HttpRequest<Buffer> req = client.request(method, server.port(), "127.0.0.1", uri);
    if (tenant != null) req.putHeader("X-Tenant", tenant);
    if (contentType != null) req.putHeader("content-type", contentType);
    HttpResponse<Buffer> response;
    try {
      response =
          (body == null ? req.send() : req.sendBuffer(body))
              .toCompletionStage()
              .toCompletableFuture()
              .get(10, SECONDS);
    } catch (Exception e) {
      throw new AssertionError(method + " " + uri + " failed: " + e, e);
    }
    Resp r =
        new Resp(
            response.statusCode(),
            response.headers(),
            response.body() == null ? Buffer.buffer() : response.body());
    assertThat(r.status).as("%s %s -> %s", method, uri, r).isNotEqualTo(500);
    return r;
  }

  /** Waits, at most 10 s, until a pool holds {@code n} ready sandboxes. */
  private static void awaitReady(String name, int n) {
    TestPools.awaitCondition(() -> pool(name).getInteger("ready") >= n, 10);
  }

  private static String template(String name, String runtimeClassName) {
    return "apiVersion: extensions.agents.x-k8s.io/v1beta1\n"
        + "kind: SandboxTemplate\n"
        + "metadata:\n  name: "
        + name
        + "\n  namespace: default\n"
        + "spec:\n  podTemplate:\n    spec:\n"
        + (runtimeClassName == null ? "" : "      runtimeClassName: " + runtimeClassName + "\n")
        + "      containers:\n      - name: main\n        image: busybox:1.36\n"
        + "        resources:\n          limits:\n            cpu: 500m\n            memory: 128Mi\n"
        + "---";
  }

  private static String pool(
      String name, String template, int replicas, String maxClaimsPerTenant) {
    return "apiVersion: extensions.agents.x-k8s.io/v1beta1\n"
        + "kind: SandboxWarmPool\n"
        + "metadata:\n  name: "
        + name
        + "\n  namespace: default\n"
        + (maxClaimsPerTenant == null
            ? ""
            : "  annotations:\n    agentsandbox.io/max-claims-per-tenant: \""
                + maxClaimsPerTenant
                + "\"\n")
        + "spec:\n  replicas: "
        + replicas
        + "\n  sandboxTemplateRef:\n    name: "
        + template
        + "\n"
        + "---";
  }
}
