package io.agentsandbox.client;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client against a real server in this JVM (simulated backend, API tokens on): claims, release
 * on close, typed errors with the server's code and field, 429/503 retried after Retry-After then
 * surfaced (the waits go through a recording sleeper, never a real sleep).
 */
class AgentSandboxClientTest {

  static final String API_TOKEN = "test-api-token-1";

  @TempDir static Path dir;
  static SimulatedServer server;
  static AgentSandboxClient client;

  @BeforeAll
  static void start() throws Exception {
    server = SimulatedServer.start(dir, API_TOKEN);
    client = AgentSandboxClient.builder().baseUrl(server.url + "/").token(API_TOKEN).build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) server.close();
  }

  @Test
  void shouldListPoolsWithCounts() {
    List<PoolInfo> pools = client.pools();
    assertThat(pools)
        .extracting(PoolInfo::name)
        .containsExactly(
            SimulatedServer.CAPPED,
            SimulatedServer.EMPTY,
            SimulatedServer.PY,
            SimulatedServer.SLOW);
    PoolInfo py = pools.get(2);
    assertThat(py.namespace()).isEqualTo("default");
    assertThat(py.runtimeClassName()).isEqualTo("gvisor");
    assertThat(py.simulated()).isTrue();
    assertThat(py.replicas()).isEqualTo(4);
    assertThat(py.available()).isTrue();
  }

  @Test
  void shouldClaimAndReleaseOnCloseOnce() {
    String id;
    try (SandboxHandle sandbox =
        client.claim(
            SimulatedServer.PY,
            ClaimOptions.defaults()
                .withWait(Duration.ofSeconds(5))
                .withOnEmpty(OnEmpty.COLD)
                .withTtl(Duration.ofMinutes(10))
                .withPriority(5))) {
      id = sandbox.claimId();
      ClaimInfo claim = sandbox.claim();
      assertThat(claim.isBound()).isTrue();
      assertThat(claim.tenant()).isEqualTo(SimulatedServer.TENANT);
      assertThat(claim.pool()).isEqualTo(SimulatedServer.PY);
      assertThat(claim.priority()).isEqualTo(5);
      assertThat(claim.onEmpty()).isEqualTo("cold");
      assertThat(claim.ttlSeconds()).isEqualTo(600);
      assertThat(claim.expiresAt()).isNotNull();
      assertThat(claim.launchType()).isEqualTo("warm");
      assertThat(sandbox.sandboxName()).isEqualTo(claim.sandbox().name());
      assertThat(sandbox.claimToken()).isNotBlank();
      assertThat(client.getClaim(id).status()).isEqualTo("Bound");
    }
    assertThatThrownBy(() -> client.getClaim(id))
        .isInstanceOfSatisfying(
            NotFoundException.class,
            e -> {
              assertThat(e.status()).isEqualTo(404);
              assertThat(e.code()).isEqualTo("not_found");
              assertThat(e.field()).isEqualTo("id");
            });
  }

  @Test
  void shouldSendReleaseOnlyOnceAndRefuseCallsAfterIt() {
    SandboxHandle sandbox = client.claim(SimulatedServer.PY);
    sandbox.release();
    sandbox.release(); // idempotent: no second DELETE (it would be a 404)
    sandbox.close();
    assertThat(sandbox.isReleased()).isTrue();
    assertThatThrownBy(() -> sandbox.exec("true")).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> client.release(sandbox.claimId()))
        .isInstanceOf(NotFoundException.class);
  }

  @Test
  void shouldToleratePriorReleaseOnClose() {
    SandboxHandle sandbox = client.claim(SimulatedServer.PY);
    client.release(sandbox.claimId());
    sandbox.close(); // 404 swallowed by close
    assertThat(sandbox.isReleased()).isTrue();
  }

  @Test
  void shouldNameUnknownPool() {
    assertThatThrownBy(() -> client.claim("no-such-pool"))
        .isInstanceOfSatisfying(
            NotFoundException.class,
            e -> {
              assertThat(e.code()).isEqualTo("unknown_pool");
              assertThat(e.field()).isEqualTo("pool");
              assertThat(e.serverMessage()).contains("no-such-pool");
            });
  }

  @Test
  void shouldNameBadField() {
    assertThatThrownBy(() -> client.claim("Not_A_Pool!"))
        .isInstanceOfSatisfying(
            BadRequestException.class,
            e -> {
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.field()).isEqualTo("pool");
            });
  }

  @Test
  void shouldTimeOutWaitingForSlowPool() {
    assertThatThrownBy(
            () ->
                client.claim(
                    SimulatedServer.SLOW, ClaimOptions.defaults().withWait(Duration.ofMillis(50))))
        .isInstanceOfSatisfying(
            WaitTimeoutException.class, e -> assertThat(e.code()).isEqualTo("deadline_exceeded"));
  }

  @Test
  void shouldRefuseMissingAndWrongApiToken() {
    AgentSandboxClient anonymous = AgentSandboxClient.builder().baseUrl(server.url).build();
    assertThatThrownBy(anonymous::pools)
        .isInstanceOfSatisfying(
            UnauthorizedException.class,
            e -> {
              assertThat(e.status()).isEqualTo(401);
              assertThat(e.field()).isEqualTo("Authorization");
            });
    AgentSandboxClient otherTenant =
        AgentSandboxClient.builder().baseUrl(server.url).token(API_TOKEN).tenant("bob").build();
    assertThatThrownBy(() -> otherTenant.claim(SimulatedServer.PY))
        .isInstanceOfSatisfying(
            UnauthorizedException.class,
            e -> {
              assertThat(e.status()).isEqualTo(403);
              assertThat(e.code()).isEqualTo("tenant_mismatch");
            });
  }

  @Test
  void shouldSurfaceSimulatedExecAndWrongClaimToken() {
    try (SandboxHandle sandbox = client.claim(SimulatedServer.PY)) {
      assertThatThrownBy(() -> sandbox.exec("echo", "hi"))
          .isInstanceOfSatisfying(
              ServerErrorException.class,
              e -> {
                assertThat(e.status()).isEqualTo(501);
                assertThat(e.code()).isEqualTo("simulated_sandbox");
              });
      SandboxHandle forged = client.attach(sandbox.claimId(), null, "not-the-token");
      assertThatThrownBy(() -> forged.readFile("x"))
          .isInstanceOfSatisfying(
              UnauthorizedException.class, e -> assertThat(e.status()).isEqualTo(401));
    }
  }

  @Test
  void shouldRetryPoolEmptyAfterRetryAfterThenSurface() {
    List<Duration> waits = new ArrayList<>();
    ManualClock clock = new ManualClock();
    AgentSandboxClient retrying =
        AgentSandboxClient.builder()
            .baseUrl(server.url)
            .token(API_TOKEN)
            .retryPolicy(
                new RetryPolicy(2, Duration.ofMinutes(1), Duration.ofSeconds(10), Duration.ZERO))
            .clock(clock)
            .sleeper(clock.recordingSleeper(waits))
            .build();
    assertThatThrownBy(
            () ->
                retrying.claim(
                    SimulatedServer.EMPTY, ClaimOptions.defaults().withOnEmpty(OnEmpty.REJECT)))
        .isInstanceOfSatisfying(
            OverloadedException.class,
            e -> {
              assertThat(e.status()).isEqualTo(503);
              assertThat(e.code()).isEqualTo("pool_empty");
              assertThat(e.retryAfter()).isPresent();
            });
    // two retries, each after the server's Retry-After (whole seconds, at least 1)
    assertThat(waits).hasSize(2).allSatisfy(w -> assertThat(w).isPositive());
  }

  @Test
  void shouldRetryQuotaAndSucceedOnceAClaimIsReleased() throws Exception {
    SandboxHandle first = client.claim(SimulatedServer.CAPPED);
    List<Duration> waits = new ArrayList<>();
    ManualClock clock = new ManualClock();
    AgentSandboxClient retrying =
        AgentSandboxClient.builder()
            .baseUrl(server.url)
            .token(API_TOKEN)
            .clock(clock)
            .sleeper(
                delay -> {
                  waits.add(delay);
                  clock.advance(delay);
                  first.close(); // the tenant frees its one slot while the client waits
                  return CompletableFuture.completedFuture(null);
                })
            .build();
    try (SandboxHandle second = retrying.claim(SimulatedServer.CAPPED)) {
      assertThat(second.claim().isBound()).isTrue();
    }
    assertThat(waits).hasSize(1);
    assertThat(waits.get(0)).isPositive();
  }

  @Test
  void shouldSurfaceQuotaWhenBudgetIsSpent() {
    try (SandboxHandle first = client.claim(SimulatedServer.CAPPED)) {
      ManualClock clock = new ManualClock();
      List<Duration> waits = new ArrayList<>();
      AgentSandboxClient retrying =
          AgentSandboxClient.builder()
              .baseUrl(server.url)
              .token(API_TOKEN)
              .clock(clock)
              .sleeper(clock.recordingSleeper(waits))
              .build();
      assertThatThrownBy(() -> retrying.claim(SimulatedServer.CAPPED))
          .isInstanceOfSatisfying(
              QuotaExceededException.class,
              e -> {
                assertThat(e.status()).isEqualTo(429);
                assertThat(e.code()).isEqualTo("tenant_quota");
              });
      assertThat(waits).hasSize(RetryPolicy.defaults().maxRetries());
      assertThat(first.isReleased()).isFalse();
    }
  }

  @Test
  void shouldClaimAsync() throws Exception {
    CompletableFuture<SandboxHandle> f = client.claimAsync(SimulatedServer.PY, null);
    SandboxHandle sandbox = f.get(10, SECONDS);
    assertThat(sandbox.claim().isBound()).isTrue();
    sandbox.releaseAsync().get(10, SECONDS);
    ExecutionException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            ExecutionException.class,
            () -> client.getClaimAsync(sandbox.claimId()).get(10, SECONDS));
    assertThat(e.getCause()).isInstanceOf(NotFoundException.class);
  }

  @Test
  void shouldReleaseClaimOfAnotherTenantWithoutApiTokens(@TempDir Path open) throws Exception {
    try (SimulatedServer noAuth = SimulatedServer.start(open, null)) {
      AgentSandboxClient anonymous = AgentSandboxClient.builder().baseUrl(noAuth.url).build();
      SandboxHandle sandbox =
          anonymous.claim(SimulatedServer.PY, ClaimOptions.defaults().withTenant("bob"));
      assertThat(sandbox.claim().tenant()).isEqualTo("bob");
      // without X-Tenant: bob the release would be refused (403, another tenant's claim)
      assertThatThrownBy(() -> anonymous.getClaim(sandbox.claimId()))
          .isInstanceOfSatisfying(
              UnauthorizedException.class, e -> assertThat(e.status()).isEqualTo(403));
      sandbox.release();
      assertThatThrownBy(() -> anonymous.release(sandbox.claimId(), "bob"))
          .isInstanceOf(NotFoundException.class);
    }
  }

  @Test
  void shouldReportUnreachableServerAsTransport() {
    AgentSandboxClient nowhere = AgentSandboxClient.builder().baseUrl("http://127.0.0.1:1").build();
    assertThatThrownBy(nowhere::pools)
        .isInstanceOfSatisfying(
            TransportException.class,
            e -> {
              assertThat(e.status()).isZero();
              assertThat(e.code()).isEqualTo("transport");
            });
  }
}
