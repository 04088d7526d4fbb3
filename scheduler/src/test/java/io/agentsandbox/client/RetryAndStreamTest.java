package io.agentsandbox.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client's retry budget and NDJSON streaming against a scripted stub server: Retry-After is
 * honoured, the count and the total-time budgets are both enforced on a manual clock, only 429 and
 * 503 are retried, and a streamed exec delivers its chunks in order and its exit code.
 */
class RetryAndStreamTest {

  StubServer stub;
  ManualClock clock;
  List<Duration> waits;

  @BeforeEach
  void start() throws Exception {
    stub = new StubServer();
    clock = new ManualClock();
    waits = new ArrayList<>();
  }

  @AfterEach
  void stop() {
    stub.close();
  }

  AgentSandboxClient client(RetryPolicy policy) {
    return AgentSandboxClient.builder()
        .baseUrl(stub.url())
        .token("api")
        .retryPolicy(policy)
        .clock(clock)
        .sleeper(clock.recordingSleeper(waits))
        .build();
  }

  static final String POOLS =
      "{\"pools\":[{\"namespace\":\"default\",\"name\":\"p\",\"ready\":2}]}";

  @Test
  void shouldWaitRetryAfterThenSucceed() {
    stub.error(503, "queue_full", "2").error(429, "tenant_quota", "3").json(200, POOLS);
    List<PoolInfo> pools = client(RetryPolicy.defaults()).pools();
    assertThat(pools).extracting(PoolInfo::ready).containsExactly(2);
    assertThat(waits).containsExactly(Duration.ofSeconds(2), Duration.ofSeconds(3));
    assertThat(stub.seen())
        .hasSize(3)
        .allSatisfy(s -> assertThat(s.authorization()).isEqualTo("Bearer api"));
  }

  @Test
  void shouldSurfaceAfterRetryCount() {
    stub.error(503, "overloaded", "1").error(503, "overloaded", "1").error(503, "overloaded", "1");
    RetryPolicy two =
        new RetryPolicy(2, Duration.ofMinutes(5), Duration.ofMinutes(1), Duration.ofSeconds(1));
    assertThatThrownBy(() -> client(two).pools())
        .isInstanceOfSatisfying(
            OverloadedException.class,
            e -> {
              assertThat(e.code()).isEqualTo("overloaded");
              assertThat(e.retryAfter()).contains(Duration.ofSeconds(1));
              assertThat(e.serverMessage()).isEqualTo("m overloaded");
            });
    assertThat(waits).hasSize(2);
    assertThat(stub.seen()).hasSize(3);
  }

  @Test
  void shouldSurfaceWhenNextWaitWouldPassTotalBudget() {
    stub.error(429, "tenant_quota", "4")
        .error(429, "tenant_quota", "4")
        .error(429, "tenant_quota", "4")
        .json(200, POOLS);
    RetryPolicy tenSeconds =
        new RetryPolicy(10, Duration.ofSeconds(10), Duration.ofMinutes(1), Duration.ofSeconds(1));
    // waits 4 s, then 4 s (8 s spent); a third 4 s would end at 12 s > 10 s: surfaced at once
    assertThatThrownBy(() -> client(tenSeconds).pools()).isInstanceOf(QuotaExceededException.class);
    assertThat(waits).containsExactly(Duration.ofSeconds(4), Duration.ofSeconds(4));
    assertThat(stub.seen()).hasSize(3);
  }

  @Test
  void shouldCapLongRetryAfterAndDefaultMissingOne() {
    stub.error(503, "shutting_down", "3600").error(503, "pool_empty", null).json(200, POOLS);
    RetryPolicy policy =
        new RetryPolicy(3, Duration.ofMinutes(5), Duration.ofSeconds(5), Duration.ofMillis(250));
    client(policy).pools();
    assertThat(waits).containsExactly(Duration.ofSeconds(5), Duration.ofMillis(250));
  }

  @Test
  void shouldHonourHttpDateRetryAfter() {
    String in7s =
        DateTimeFormatter.RFC_1123_DATE_TIME.format(
            clock.instant().plusSeconds(7).atZone(ZoneOffset.UTC));
    stub.error(503, "queue_full", in7s).json(200, POOLS);
    client(RetryPolicy.defaults()).pools();
    assertThat(waits).containsExactly(Duration.ofSeconds(7));
  }

  @Test
  void shouldNotRetryOtherStatuses() {
    stub.error(500, "internal_error", "1").error(502, "runtime_error", null);
    assertThatThrownBy(() -> client(RetryPolicy.defaults()).pools())
        .isInstanceOfSatisfying(
            ServerErrorException.class, e -> assertThat(e.status()).isEqualTo(500));
    assertThat(waits).isEmpty();
    assertThat(stub.seen()).hasSize(1);
  }

  @Test
  void shouldNotRetryWithPolicyNone() {
    stub.error(503, "queue_full", "1");
    assertThatThrownBy(() -> client(RetryPolicy.none()).pools())
        .isInstanceOf(OverloadedException.class);
    assertThat(waits).isEmpty();
  }

  @Test
  void shouldMapEveryStatusToItsException() {
    Map<Integer, Class<?>> expected =
        Map.ofEntries(
            Map.entry(400, BadRequestException.class),
            Map.entry(401, UnauthorizedException.class),
            Map.entry(403, UnauthorizedException.class),
            Map.entry(404, NotFoundException.class),
            Map.entry(409, ConflictException.class),
            Map.entry(410, GoneException.class),
            Map.entry(413, BadRequestException.class),
            Map.entry(422, BadRequestException.class),
            Map.entry(429, QuotaExceededException.class),
            Map.entry(501, ServerErrorException.class),
            Map.entry(503, OverloadedException.class),
            Map.entry(504, WaitTimeoutException.class));
    for (Map.Entry<Integer, Class<?>> e : expected.entrySet()) {
      stub.error(e.getKey(), "c" + e.getKey(), null);
      assertThatThrownBy(() -> client(RetryPolicy.none()).pools())
          .as("status %s", e.getKey())
          .isInstanceOf(e.getValue())
          .hasMessage(e.getKey() + " c" + e.getKey() + ": m c" + e.getKey());
    }
    stub.error(409, "sandbox_gone", null);
    assertThatThrownBy(() -> client(RetryPolicy.none()).pools())
        .isInstanceOf(SandboxGoneException.class);
    stub.answer(502, Map.of("content-type", "text/html"), "<html>bad gateway</html>");
    assertThatThrownBy(() -> client(RetryPolicy.none()).pools())
        .isInstanceOfSatisfying(
            ServerErrorException.class,
            x -> {
              assertThat(x.code()).isEqualTo("http_502");
              assertThat(x.serverMessage()).contains("bad gateway");
            });
  }

  @Test
  void shouldStreamChunksInOrderAndReturnExitCode() {
    stub.error(503, "exec_busy", "1")
        .ndjson(
            "{\"stream\":\"stdout\",\"data\":\"one\\n\"}",
            "{\"stream\":\"stderr\",\"data\":\"warn\\n\"}",
            "{\"stream\":\"stdout\",\"data\":\"two\\n\"}",
            "{\"exitCode\":3,\"stdoutTruncated\":false,\"stderrTruncated\":false,\"timedOut\":false,\"durationMs\":12.5}");
    SandboxHandle sandbox = client(RetryPolicy.defaults()).attach("cl-1-abc", "sb 1", "claim-tok");
    List<OutputChunk> chunks = new ArrayList<>();
    ExecResult r =
        sandbox.execStream(
            ExecSpec.of("sh", "-c", "x").withEnv("A", "1").withTimeout(Duration.ofSeconds(3)),
            chunks::add);
    assertThat(r.exitCode()).isEqualTo(3);
    assertThat(r.durationMs()).isEqualTo(12.5);
    assertThat(chunks)
        .containsExactly(
            new OutputChunk(OutputChunk.Stream.STDOUT, "one\n"),
            new OutputChunk(OutputChunk.Stream.STDERR, "warn\n"),
            new OutputChunk(OutputChunk.Stream.STDOUT, "two\n"));
    assertThat(waits).containsExactly(Duration.ofSeconds(1)); // exec_busy retried
    StubServer.Seen exec = stub.seen().get(1);
    assertThat(exec.uri()).isEqualTo("/v1/sandboxes/sb%201/exec?stream=true");
    assertThat(exec.authorization()).isEqualTo("Bearer claim-tok");
    assertThat(exec.body())
        .isEqualTo("{\"command\":[\"sh\",\"-c\",\"x\"],\"env\":{\"A\":\"1\"},\"timeoutMs\":3000}");
  }

  @Test
  void shouldFailStreamOnErrorLineAndOnEarlyEnd() {
    stub.ndjson(
        "{\"stream\":\"stdout\",\"data\":\"x\"}",
        "{\"error\":{\"status\":500,\"code\":\"exec_failed\",\"message\":\"runtime died\"}}");
    SandboxHandle sandbox = client(RetryPolicy.none()).attach("cl-1-abc", null, "t");
    assertThatThrownBy(() -> sandbox.execStream(List.of("true"), c -> {}))
        .isInstanceOfSatisfying(
            ServerErrorException.class, e -> assertThat(e.code()).isEqualTo("exec_failed"));
    stub.ndjson("{\"stream\":\"stdout\",\"data\":\"x\"}");
    assertThatThrownBy(() -> sandbox.execStream(List.of("true"), c -> {}))
        .isInstanceOf(TransportException.class)
        .hasMessageContaining("ended before");
  }

  @Test
  void shouldEncodeFilePathsAndCarryClaimToken() throws Exception {
    stub.answer(200, Map.of("content-type", "application/octet-stream"), "bytes")
        .json(201, "{\"path\":\"/workspace/a b/c+d.txt\",\"size\":2}")
        .answer(204, Map.of(), "");
    SandboxHandle sandbox = client(RetryPolicy.none()).attach("cl-9", "sb", "tok");
    assertThat(sandbox.readString("/workspace/dir/f.txt")).isEqualTo("bytes");
    sandbox.writeFileAsync("a b/c+d.txt", new byte[] {1, 2}).get();
    sandbox.deleteFile("x");
    assertThat(stub.seen())
        .extracting(s -> s.method() + " " + s.uri())
        .containsExactly(
            "GET /v1/sandboxes/sb/files/dir/f.txt",
            "PUT /v1/sandboxes/sb/files/a%20b/c%2Bd.txt",
            "DELETE /v1/sandboxes/sb/files/x");
  }
}
