package io.agentsandbox.scheduler.security;

import static io.agentsandbox.scheduler.TestPools.awaitCondition;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.agentsandbox.scheduler.Main;
import io.agentsandbox.scheduler.SchedulerServer;
import io.agentsandbox.scheduler.TestPools;
import io.agentsandbox.scheduler.backend.local.LocalBackendConfig;
import io.agentsandbox.scheduler.logging.AuditLog;
import io.agentsandbox.scheduler.logging.LogCapture;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * API authentication end to end (simulated backend, loopback): 401 without or with a wrong token,
 * open health/metrics/OpenAPI routes, the tenant taken from the token (403 on a forged header or
 * body tenant, 403 on another tenant's claim), the tokens file re-read without restart; and TLS
 * with the certificate swapped on disk and picked up without restart.
 */
class AuthAndTlsTest {

  @TempDir static Path dir;
  private static SchedulerServer server;
  private static Path tokens;
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    Files.writeString(
        dir.resolve("pools.yaml"),
        TestPools.template("shell", null) + TestPools.pool("p", "shell", 4, null));
    tokens = dir.resolve("tokens");
    Files.writeString(tokens, "alice-token alice\nbob-token bob\ndefault-token\n");
    server =
        TestPools.await(
            SchedulerServer.start(
                Main.parseConfig(
                    "--port",
                    "0",
                    "--backend",
                    "simulated",
                    "--pools-dir",
                    dir.toString(),
                    "--shards",
                    "1",
                    "--http-instances",
                    "1",
                    "--simulated-latency",
                    "*=0,default=0"),
                LocalBackendConfig.defaults(),
                Main.parseSecurityConfig(
                    "--api-tokens-file", tokens.toString(), "--security-reload-ms", "100")));
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) server.close().toCompletionStage().toCompletableFuture().get(30, SECONDS);
  }

  private static HttpResponse<String> send(
      String method, String path, String token, String tenant, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
            .timeout(Duration.ofSeconds(10));
    if (token != null) b.header("Authorization", "Bearer " + token);
    if (tenant != null) b.header("X-Tenant", tenant);
    if (body != null) b.header("content-type", "application/json");
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void shouldRefuseV1CallsWithoutAValidToken() throws Exception {
    for (String[] call :
        new String[][] {
          {"POST", "/v1/claims"},
          {"GET", "/v1/claims/cl-0-x"},
          {"DELETE", "/v1/claims/cl-0-x"},
          {"GET", "/v1/pools"},
          {"GET", "/v1/pools/default/p"},
          {"GET", "/v1/nope"},
          {"PATCH", "/v1/claims"}
        }) {
      for (String token : new String[] {null, "wrong", "alice-token2", "ALICE-TOKEN"}) {
        HttpResponse<String> r =
            send(call[0], call[1], token, null, call[0].equals("POST") ? "{\"pool\":\"p\"}" : null);
        assertThat(r.statusCode()).as("%s %s with %s", call[0], call[1], token).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate"))
            .get()
            .asString()
            .startsWith("Bearer");
        assertThat(new JsonObject(r.body()).getJsonObject("error").getString("message"))
            .isNotBlank()
            .doesNotContain("alice-token");
      }
    }
    for (String open : new String[] {"/healthz", "/readyz", "/metrics", "/openapi.yaml"}) {
      assertThat(send("GET", open, null, null, null).statusCode()).as(open).isEqualTo(200);
    }
  }

  @Test
  void shouldLeaveAnAuditTrailOfRefusedCallsButNeverTheToken() throws Exception {
    try (LogCapture audit = new LogCapture(AuditLog.LOGGER)) {
      send("POST", "/v1/claims", null, null, "{\"pool\":\"p\"}");
      send("GET", "/v1/pools", "not-a-token-of-ours", null, null);
      send("POST", "/v1/claims", "alice-token", "bob", "{\"pool\":\"p\"}");

      var denied = audit.where("event", "denied");
      assertThat(denied).hasSize(3);
      assertThat(denied.get(0).fields())
          .containsEntry("status", 401)
          .containsEntry("source", "127.0.0.1")
          .containsEntry("method", "POST")
          .containsEntry("route", "/v1/claims")
          .containsEntry("reason", "no API token")
          .doesNotContainKey("token_sha256");
      assertThat(denied.get(1).fields())
          .containsEntry("status", 401)
          .containsEntry("route", "/v1/pools")
          .containsEntry("reason", "unknown API token")
          .containsEntry("token_sha256", AuditLog.tokenHash("not-a-token-of-ours"));
      assertThat((String) denied.get(1).get("token_sha256")).hasSize(8);
      assertThat(denied.get(2).fields())
          .containsEntry("status", 403)
          .containsEntry("reason", "X-Tenant names another tenant than the API token's");
      for (var line : audit.lines()) {
        assertThat(line.fields().toString()).doesNotContain("not-a-token-of-ours", "alice-token");
      }
    }
  }

  @Test
  void shouldTakeTheTenantFromTheToken() throws Exception {
    awaitCondition(() -> readyCount() >= 2, 30);
    HttpResponse<String> claimed =
        send("POST", "/v1/claims", "alice-token", null, "{\"pool\":\"p\"}");
    assertThat(claimed.statusCode()).as(claimed.body()).isEqualTo(201);
    JsonObject claim = new JsonObject(claimed.body());
    assertThat(claim.getString("tenant")).isEqualTo("alice");
    String id = claim.getString("claimId");

    // Forged tenants: refused, and nothing changes.
    assertThat(send("POST", "/v1/claims", "alice-token", "bob", "{\"pool\":\"p\"}").statusCode())
        .isEqualTo(403);
    HttpResponse<String> forgedBody =
        send("POST", "/v1/claims", "alice-token", null, "{\"pool\":\"p\",\"tenant\":\"bob\"}");
    assertThat(forgedBody.statusCode()).isEqualTo(403);
    assertThat(new JsonObject(forgedBody.body()).getJsonObject("error").getString("code"))
        .isEqualTo("tenant_mismatch");
    assertThat(
            send(
                    "POST",
                    "/v1/claims",
                    "alice-token",
                    "alice",
                    "{\"pool\":\"p\",\"tenant\":\"alice\",\"onEmpty\":\"reject\"}")
                .statusCode())
        .as("naming one's own tenant is fine")
        .isIn(201, 503);

    // Another tenant cannot read or release alice's claim, even by naming her in X-Tenant.
    assertThat(send("GET", "/v1/claims/" + id, "bob-token", null, null).statusCode())
        .isEqualTo(403);
    assertThat(send("GET", "/v1/claims/" + id, "bob-token", "alice", null).statusCode())
        .isEqualTo(403);
    assertThat(send("DELETE", "/v1/claims/" + id, "default-token", null, null).statusCode())
        .isEqualTo(403);
    assertThat(send("GET", "/v1/claims/" + id, "alice-token", null, null).statusCode())
        .isEqualTo(200);
    assertThat(send("DELETE", "/v1/claims/" + id, "alice-token", null, null).statusCode())
        .isEqualTo(204);
  }

  @Test
  void shouldReloadTheTokensFileWithoutRestart() throws Exception {
    assertThat(send("GET", "/v1/pools", "carol-token", null, null).statusCode()).isEqualTo(401);
    String before = Files.readString(tokens);
    LogCapture audit = new LogCapture(AuditLog.LOGGER);
    Files.writeString(tokens, before + "carol-token carol\n");
    Files.setLastModifiedTime(tokens, FileTime.from(Instant.now().plusSeconds(2)));
    awaitCondition(() -> status("GET", "/v1/pools", "carol-token") == 200, 10);
    audit.close();
    assertThat(audit.where("event", "tokens_reloaded").get(0).fields())
        .containsEntry("file", tokens.toString())
        .containsEntry("tokens", 4);
    Files.writeString(tokens, before);
    Files.setLastModifiedTime(tokens, FileTime.from(Instant.now().plusSeconds(4)));
    awaitCondition(() -> status("GET", "/v1/pools", "carol-token") == 401, 10);
    assertThat(send("GET", "/v1/pools", "alice-token", null, null).statusCode()).isEqualTo(200);
  }

  @Test
  void shouldServeTlsAndPickUpANewCertificateWithoutRestart() throws Exception {
    assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/openssl")),
        "openssl is needed to make test certificates");
    Path tls = Files.createDirectories(dir.resolve("tls"));
    Path cert = tls.resolve("cert.pem");
    Path key = tls.resolve("key.pem");
    X509Certificate first = selfSigned(tls, "first", cert, key);
    SchedulerServer tlsServer =
        TestPools.await(
            SchedulerServer.start(
                Main.parseConfig(
                    "--port",
                    "0",
                    "--backend",
                    "simulated",
                    "--pools-dir",
                    dir.toString(),
                    "--shards",
                    "1",
                    "--http-instances",
                    "2"),
                LocalBackendConfig.defaults(),
                Main.parseSecurityConfig(
                    "--api-tokens-file",
                    tokens.toString(),
                    "--tls-cert",
                    cert.toString(),
                    "--tls-key",
                    key.toString(),
                    "--security-reload-ms",
                    "100")));
    try {
      X509Certificate second =
          selfSigned(tls, "second", tls.resolve("next-cert.pem"), tls.resolve("next-key.pem"));
      SSLContext trustBoth = trusting(first, second);
      assertThat(servedCertificate(trustBoth, tlsServer.port()).getSerialNumber())
          .isEqualTo(first.getSerialNumber());
      HttpClient https =
          HttpClient.newBuilder()
              .sslContext(trustBoth)
              .connectTimeout(Duration.ofSeconds(5))
              .build();
      HttpResponse<String> r =
          https.send(
              HttpRequest.newBuilder(
                      URI.create("https://127.0.0.1:" + tlsServer.port() + "/v1/pools"))
                  .header("Authorization", "Bearer alice-token")
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);

      Files.copy(
          tls.resolve("next-key.pem"), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.copy(
          tls.resolve("next-cert.pem"), cert, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.setLastModifiedTime(cert, FileTime.from(Instant.now().plusSeconds(3)));
      Files.setLastModifiedTime(key, FileTime.from(Instant.now().plusSeconds(3)));
      awaitCondition(
          () -> {
            try {
              return servedCertificate(trustBoth, tlsServer.port())
                  .getSerialNumber()
                  .equals(second.getSerialNumber());
            } catch (Exception e) {
              return false;
            }
          },
          15);
    } finally {
      tlsServer.close().toCompletionStage().toCompletableFuture().get(30, SECONDS);
    }
  }

  private static int readyCount() {
    try {
      return new JsonObject(send("GET", "/v1/pools/default/p", "alice-token", null, null).body())
          .getInteger("ready", 0);
    } catch (Exception e) {
      return -1;
    }
  }

  private static int status(String method, String path, String token) {
    try {
      return send(method, path, token, null, null).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  private static X509Certificate selfSigned(Path tls, String cn, Path cert, Path key)
      throws Exception {
    Process p =
        new ProcessBuilder(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                key.toString(),
                "-out",
                cert.toString(),
                "-days",
                "1",
                "-subj",
                "/CN=" + cn,
                "-addext",
                "subjectAltName=IP:127.0.0.1,DNS:localhost")
            .redirectErrorStream(true)
            .redirectOutput(tls.resolve(cn + ".log").toFile())
            .start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(Files.readString(tls.resolve(cn + ".log"))).isZero();
    try (InputStream in = Files.newInputStream(cert)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  private static SSLContext trusting(X509Certificate... certs) throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    for (int i = 0; i < certs.length; i++) ks.setCertificateEntry("c" + i, certs[i]);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  private static X509Certificate servedCertificate(SSLContext ctx, int port) throws Exception {
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
      s.setSoTimeout(5_000);
      s.startHandshake();
      return (X509Certificate) s.getSession().getPeerCertificates()[0];
    }
  }
}
