package io.agentsandbox.scheduler.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.AgentEndpoint;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sandbox router end to end: servers on the simulated backend whose locator points every
 * claimed sandbox at a real agent process (built by {@code mvn -pl agent package}) on a unix
 * socket, or on loopback TCP, with its secret; requests go through the API port with upstream's
 * {@code X-Sandbox-*} headers. One server with {@code --auth none}, one with API tokens.
 */
class SandboxRouterTest {

  @TempDir static Path dir;

  private static RouterFixture fixture;
  private static RouterFixture.Server open;
  private static RouterFixture.Server authed;

  @BeforeAll
  static void start() throws Exception {
    fixture = new RouterFixture(dir);
    open = fixture.server(4);
    Path tokens = dir.resolve("api-tokens");
    Files.writeString(tokens, "tok-alice alice\ntok-bob bob\n");
    authed = fixture.server(4, "--api-tokens-file", tokens.toString());
    open.awaitReady(4, null);
    authed.awaitReady(4, "tok-alice");
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) fixture.close();
  }

  private static JsonObject claim() throws Exception {
    return open.claim(null);
  }

  private static HttpRequest.Builder routed(String sandbox, String path) {
    return open.routed(sandbox, path);
  }

  private static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
    return open.send(b);
  }

  private static HttpRequest.Builder get(String path) {
    return open.request(path);
  }

  @Test
  void shouldServeUpstreamRuntimeApiOfClaimedSandboxThroughRouter() throws Exception {
    String name = claim().getJsonObject("sandbox").getString("name");

    HttpResponse<String> exec =
        send(
            routed(name, "/execute")
                .POST(HttpRequest.BodyPublishers.ofString("{\"command\":\"echo hi; echo $0\"}")));
    assertThat(exec.statusCode()).as(exec.body()).isEqualTo(200);
    assertThat(new JsonObject(exec.body()).getString("stdout")).startsWith("hi\n");
    assertThat(new JsonObject(exec.body()).getInteger("exit_code")).isZero();

    byte[] content = new byte[3 << 20];
    new Random(7).nextBytes(content);
    String boundary = "b0undary";
    byte[] head =
        ("--"
                + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"d/big.bin\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n")
            .getBytes(StandardCharsets.UTF_8);
    byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
    byte[] body = new byte[head.length + content.length + tail.length];
    System.arraycopy(head, 0, body, 0, head.length);
    System.arraycopy(content, 0, body, head.length, content.length);
    System.arraycopy(tail, 0, body, head.length + content.length, tail.length);
    HttpResponse<String> up =
        send(
            routed(name, "/upload")
                .header("content-type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    assertThat(up.statusCode()).as(up.body()).isEqualTo(200);

    HttpResponse<byte[]> down =
        RouterFixture.HTTP.send(
            routed(name, "/download/d%2Fbig.bin").build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(down.statusCode()).isEqualTo(200);
    assertThat(sha(down.body())).isEqualTo(sha(content));

    HttpResponse<String> list = send(routed(name, "/list/d"));
    assertThat(list.statusCode()).as(list.body()).isEqualTo(200);
    JsonObject entry = new JsonArray(list.body()).getJsonObject(0);
    assertThat(entry.getString("name")).isEqualTo("big.bin");
    assertThat(entry.getLong("size")).isEqualTo(content.length);

    HttpResponse<String> exists = send(routed(name, "/exists/d%2Fbig.bin"));
    assertThat(new JsonObject(exists.body()).getBoolean("exists")).isTrue();
    HttpResponse<String> missing = send(routed(name, "/exists/nope"));
    assertThat(new JsonObject(missing.body()).getBoolean("exists")).isFalse();
  }

  @Test
  void shouldRefuseUnclaimedUnknownAndBadHeaders() throws Exception {
    String claimed = claim().getJsonObject("sandbox").getString("name");
    HttpResponse<String> unknown = send(routed("rt-zzzzz", "/exists/x"));
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(RouterFixture.error(unknown).getString("field")).isEqualTo("X-Sandbox-ID");

    HttpResponse<String> bad = send(routed("../etc", "/exists/x"));
    assertThat(bad.statusCode()).isEqualTo(400);
    HttpResponse<String> port = send(routed(claimed, "/exists/x").header("X-Sandbox-Port", "80"));
    assertThat(port.statusCode()).isEqualTo(400);
    assertThat(RouterFixture.error(port).getString("field")).isEqualTo("X-Sandbox-Port");
    HttpResponse<String> badPort =
        send(routed(claimed, "/exists/x").header("X-Sandbox-Port", "99999"));
    assertThat(badPort.statusCode()).isEqualTo(400);
    HttpResponse<String> badTimeout =
        send(routed(claimed, "/exists/x").header("X-Sandbox-Timeout", "-1"));
    assertThat(badTimeout.statusCode()).isEqualTo(400);
  }

  @Test
  void shouldAnswer409ForWarmUnclaimedSandboxAndNeverReachIt() throws Exception {
    String name = claim().getJsonObject("sandbox").getString("name");
    int conflicts = 0;
    for (String neighbour : RouterFixture.neighbours(name, 3)) {
      HttpResponse<String> r = send(routed(neighbour, "/exists/x"));
      assertThat(r.statusCode()).as(neighbour + ": " + r.body()).isIn(404, 409, 200);
      if (r.statusCode() == 409) {
        conflicts++;
        assertThat(RouterFixture.error(r).getString("code")).isEqualTo("not_claimed");
      }
    }
    assertThat(conflicts).as("warm neighbours of " + name + " answered 409").isPositive();
  }

  @Test
  void shouldStopRoutingOnceTheClaimIsReleased() throws Exception {
    JsonObject c = claim();
    String name = c.getJsonObject("sandbox").getString("name");
    assertThat(send(routed(name, "/exists/x")).statusCode()).isEqualTo(200);
    HttpResponse<String> released = send(get("/v1/claims/" + c.getString("claimId")).DELETE());
    assertThat(released.statusCode()).isIn(200, 202, 204);
    // A claim the router has seen is cached for at most CACHE_TTL_NS.
    long deadline = System.nanoTime() + SandboxRouter.CACHE_TTL_NS + TimeUnit.SECONDS.toNanos(5);
    int status;
    do {
      status = send(routed(name, "/exists/x")).statusCode();
    } while (status == 200 && System.nanoTime() < deadline);
    assertThat(status).isIn(404, 409);
  }

  @Test
  void shouldAnswer502WhenAgentIsDownAnd503WithoutEndpoint() throws Exception {
    String name = claim().getJsonObject("sandbox").getString("name");
    AgentEndpoint before = fixture.endpoint.get();
    try {
      fixture.endpoint.set(AgentEndpoint.unix(dir.resolve("nobody-listens.sock"), null));
      HttpResponse<String> down = send(routed(name, "/exists/x"));
      assertThat(down.statusCode()).as(down.body()).isEqualTo(502);
      fixture.endpoint.set(null);
      HttpResponse<String> none = send(routed(name, "/exists/x"));
      assertThat(none.statusCode()).isEqualTo(503);
      assertThat(none.headers().firstValue("Retry-After")).isPresent();
    } finally {
      fixture.endpoint.set(before);
    }
  }

  @Test
  void shouldReachAgentOverTcpWithItsSecretAndTimeOut() throws Exception {
    String name = claim().getJsonObject("sandbox").getString("name");
    AgentEndpoint before = fixture.endpoint.get();
    try {
      fixture.endpoint.set(fixture.tcpEndpoint());
      HttpResponse<String> ok =
          send(
              routed(name, "/execute")
                  .header("X-Sandbox-Port", Integer.toString(fixture.agentTcpPort))
                  .header("Authorization", "Bearer client-token-is-stripped")
                  .POST(HttpRequest.BodyPublishers.ofString("{\"command\":\"true\"}")));
      assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
      long t0 = System.nanoTime();
      HttpResponse<String> slow =
          send(
              routed(name, "/execute")
                  .header("X-Sandbox-Port", Integer.toString(fixture.agentTcpPort))
                  .header("X-Sandbox-Timeout", "1")
                  .POST(HttpRequest.BodyPublishers.ofString("{\"command\":\"sleep 5\"}")));
      assertThat(slow.statusCode()).as(slow.body()).isEqualTo(504);
      assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(4));
    } finally {
      fixture.endpoint.set(before);
    }
  }

  @Test
  void shouldNeedTheClaimTokenOrTheOwningTenantsApiTokenWhenAuthIsOn() throws Exception {
    JsonObject mine = authed.claim("tok-alice");
    JsonObject other = authed.claim("tok-alice");
    JsonObject bobs = authed.claim("tok-bob");
    String name = RouterFixture.sandboxName(mine);
    HttpResponse<String> none = authed.send(authed.routed(name, "/exists/x"));
    assertThat(none.statusCode()).as(none.body()).isEqualTo(401);
    assertThat(none.headers().firstValue("WWW-Authenticate")).isPresent();
    for (String token :
        new String[] {
          "wrong",
          other.getString("token"),
          bobs.getString("token"),
          "tok-bob",
          RouterFixture.SECRET
        }) {
      HttpResponse<String> r =
          authed.send(authed.routed(name, "/exists/x").header("Authorization", "Bearer " + token));
      assertThat(r.statusCode()).as(token + ": " + r.body()).isEqualTo(403);
      assertThat(RouterFixture.error(r).getString("code")).isEqualTo("forbidden");
    }
    for (String token : new String[] {mine.getString("token"), "tok-alice"}) {
      HttpResponse<String> r =
          authed.send(authed.routed(name, "/exists/x").header("Authorization", "Bearer " + token));
      assertThat(r.statusCode()).as(token + ": " + r.body()).isEqualTo(200);
      assertThat(new JsonObject(r.body()).getBoolean("exists")).isFalse();
    }
  }

  private static String sha(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }
}
