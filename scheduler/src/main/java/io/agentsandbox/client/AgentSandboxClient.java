package io.agentsandbox.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A client of the Agent Sandbox claim API: claim a sandbox from a warm pool, run commands in it,
 * move files, release it. Depends on the JDK's {@link HttpClient} and Jackson only.
 *
 * <pre>{@code
 * AgentSandboxClient client = AgentSandboxClient.builder()
 *     .baseUrl("http://127.0.0.1:8080")
 *     .token(System.getenv("AGENT_SANDBOX_TOKEN"))   // the API token; null with --auth none
 *     .build();
 * try (SandboxHandle sandbox = client.claim("python-gvisor", ClaimOptions.defaults())) {
 *   ExecResult r = sandbox.exec("python3", "-c", "print(1+1)");
 *   System.out.print(r.stdout());                    // 2
 * }                                                  // released here
 * }</pre>
 *
 * <p><b>Tokens.</b> Two kinds: the <em>API token</em> given to {@link Builder#token} authenticates
 * claim and pool calls and names the tenant (servers started with {@code --api-tokens-file}); each
 * claim's own <em>claim token</em>, returned once by the server, authorises exec and files on its
 * sandbox only and stays inside the {@link SandboxHandle}.
 *
 * <p><b>Errors.</b> Every failure is an unchecked {@link AgentSandboxException}, typed by status:
 * {@link BadRequestException} 400, {@link UnauthorizedException} 401/403, {@link NotFoundException}
 * 404, {@link ConflictException} 409 ({@link SandboxGoneException} when the sandbox died), {@link
 * GoneException} 410, {@link QuotaExceededException} 429, {@link OverloadedException} 503, {@link
 * WaitTimeoutException} 504, {@link ServerErrorException} other 5xx, {@link TransportException}
 * when no answer came. Each carries the server's error code, field and message.
 *
 * <p><b>Retries.</b> 429 and 503 are retried after the server's {@code Retry-After} within the
 * {@link RetryPolicy} (by default 3 retries within 30 s), then surfaced. Nothing else is retried.
 *
 * <p><b>Blocking and async.</b> Each call has a blocking form and an {@code ...Async} form
 * returning a {@link CompletableFuture}; the blocking form is the async one awaited, so both behave
 * the same. Thread-safe: share one client.
 */
public final class AgentSandboxClient {

  static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration DEFAULT_CLAIM_WAIT = Duration.ofSeconds(10);
  private static final Duration DEFAULT_EXEC_TIMEOUT = Duration.ofSeconds(30);

  private final URI baseUrl;
  private final String apiToken;
  private final String tenant;
  private final HttpClient http;
  private final RetryPolicy retry;
  private final Sleeper sleeper;
  private final Clock clock;
  private final Duration requestTimeout;
  private final Executor streamExecutor;

  private AgentSandboxClient(Builder b) {
    String url = Objects.requireNonNull(b.baseUrl, "baseUrl").toString();
    while (url.endsWith("/")) url = url.substring(0, url.length() - 1);
    this.baseUrl = URI.create(url);
    if (!"http".equals(baseUrl.getScheme()) && !"https".equals(baseUrl.getScheme()))
      throw new IllegalArgumentException("baseUrl must be http:// or https://, not " + url);
    this.apiToken = b.token == null || b.token.isBlank() ? null : b.token.strip();
    this.tenant = b.tenant;
    this.http =
        b.httpClient != null
            ? b.httpClient
            : HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
    this.retry = b.retryPolicy;
    this.sleeper = b.sleeper;
    this.clock = b.clock;
    this.requestTimeout = b.requestTimeout;
    this.streamExecutor = b.streamExecutor != null ? b.streamExecutor : defaultStreamExecutor();
  }

  /** A builder; {@link Builder#baseUrl} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The server's base URL, without a trailing slash. */
  public URI baseUrl() {
    return baseUrl;
  }

  // ---------------------------------------------------------------- pools

  /** Every warm pool with its counts, sorted by namespace and name ({@code GET /v1/pools}). */
  public List<PoolInfo> pools() {
    return await(poolsAsync());
  }

  /** Async {@link #pools()}. */
  public CompletableFuture<List<PoolInfo>> poolsAsync() {
    return exchange(apiRequest("/v1/pools").GET(), HttpResponse.BodyHandlers.ofByteArray())
        .thenApply(
            r -> {
              List<PoolInfo> pools = new ArrayList<>();
              for (JsonNode p : readJson(r.body()).path("pools")) pools.add(Wire.pool(p));
              return pools;
            });
  }

  // ---------------------------------------------------------------- claims

  /** {@link #claim(String, ClaimOptions)} with the server's defaults. */
  public SandboxHandle claim(String pool) {
    return claim(pool, ClaimOptions.defaults());
  }

  /**
   * Claims a sandbox from a warm pool ({@code POST /v1/claims}) and returns its handle; close the
   * handle to release it (use try-with-resources). Waits as long as the options allow.
   *
   * @param pool the pool's name, or {@code namespace/name}
   * @throws NotFoundException no such pool ({@code unknown_pool})
   * @throws QuotaExceededException the tenant holds its cap on this pool (after retries)
   * @throws OverloadedException the pool is empty ({@code onEmpty: reject}), overloaded or the
   *     shard is full (after retries)
   * @throws WaitTimeoutException no sandbox was ready within the wait
   * @throws BadRequestException an invalid option, or 422 when the pool cannot run here
   */
  public SandboxHandle claim(String pool, ClaimOptions options) {
    return await(claimAsync(pool, options));
  }

  /** Async {@link #claim(String, ClaimOptions)}. */
  public CompletableFuture<SandboxHandle> claimAsync(String pool, ClaimOptions options) {
    Objects.requireNonNull(pool, "pool");
    ClaimOptions o = options == null ? ClaimOptions.defaults() : options;
    ObjectNode body = JSON.createObjectNode().put("pool", pool);
    if (o.waitTime() != null) body.put("waitMs", o.waitTime().toMillis());
    if (o.onEmpty() != null) body.put("onEmpty", o.onEmpty().wireName());
    String t = o.tenant() != null ? o.tenant() : tenant;
    if (t != null) body.put("tenant", t);
    if (o.priority() != null) body.put("priority", o.priority());
    if (o.ttl() != null) body.put("ttlSeconds", o.ttl().toSeconds());
    Duration wait = o.waitTime() != null ? o.waitTime() : DEFAULT_CLAIM_WAIT;
    HttpRequest.Builder req =
        apiRequest("/v1/claims")
            .timeout(requestTimeout.plus(wait))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(bytes(body)));
    return exchange(req, HttpResponse.BodyHandlers.ofByteArray())
        .thenApply(
            r -> {
              JsonNode json = readJson(r.body());
              ClaimInfo info = Wire.claim(json);
              String token = json.path("token").asText(null);
              if (token == null || info.sandbox() == null)
                throw new AgentSandboxException(
                    r.status(), "invalid_answer", null, "201 without token or sandbox", null);
              return new SandboxHandle(this, info, info.sandbox().name(), token);
            });
  }

  /** Reads a claim ({@code GET /v1/claims/{id}}): bound, or still waiting. */
  public ClaimInfo getClaim(String claimId) {
    return await(getClaimAsync(claimId));
  }

  /** Async {@link #getClaim(String)}. */
  public CompletableFuture<ClaimInfo> getClaimAsync(String claimId) {
    return exchange(
            apiRequest("/v1/claims/" + segment(claimId)).GET(),
            HttpResponse.BodyHandlers.ofByteArray())
        .thenApply(r -> Wire.claim(readJson(r.body())));
  }

  /**
   * Releases a claim by id ({@code DELETE /v1/claims/{id}}): its sandbox is deleted, never handed
   * to another claim. Prefer {@link SandboxHandle#close()}.
   *
   * @throws NotFoundException the claim does not exist (already released or expired)
   */
  public void release(String claimId) {
    await(releaseAsync(claimId));
  }

  /** Async {@link #release(String)}. */
  public CompletableFuture<Void> releaseAsync(String claimId) {
    return releaseAsync(claimId, null);
  }

  /** {@link #releaseAsync(String, String)}, blocking. */
  public void release(String claimId, String tenant) {
    await(releaseAsync(claimId, tenant));
  }

  /**
   * Releases a claim made for another tenant than this client's ({@link ClaimOptions#withTenant},
   * without API tokens): the server checks the {@code X-Tenant} of a release against the claim's.
   *
   * @param tenant the claim's tenant, or null for this client's
   */
  public CompletableFuture<Void> releaseAsync(String claimId, String tenant) {
    HttpRequest.Builder req = apiRequest("/v1/claims/" + segment(claimId)).DELETE();
    if (tenant != null) req.setHeader("X-Tenant", tenant);
    return exchange(req, HttpResponse.BodyHandlers.discarding()).thenApply(r -> null);
  }

  /**
   * A handle on a claim made elsewhere (another process, the CLI), from what its {@code 201} said.
   * No request is made; a wrong token shows at the first call ({@link UnauthorizedException}).
   *
   * @param claimId the claim's id
   * @param sandboxName its sandbox's name, or null to address the sandbox by the claim id
   * @param claimToken the claim's token
   */
  public SandboxHandle attach(String claimId, String sandboxName, String claimToken) {
    Objects.requireNonNull(claimId, "claimId");
    Objects.requireNonNull(claimToken, "claimToken");
    return new SandboxHandle(this, null, sandboxName == null ? claimId : sandboxName, claimToken)
        .withClaimId(claimId);
  }

  // ---------------------------------------------------------------- transport (package-private)

  /** A request to an API route, with the API token and tenant. */
  HttpRequest.Builder apiRequest(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(requestTimeout);
    if (apiToken != null) b.header("Authorization", "Bearer " + apiToken);
    if (tenant != null) b.header("X-Tenant", tenant);
    return b;
  }

  /** A request to a sandbox route, with the claim's token. */
  HttpRequest.Builder sandboxRequest(String path, String claimToken) {
    return HttpRequest.newBuilder(uri(path))
        .timeout(requestTimeout)
        .header("Authorization", "Bearer " + claimToken);
  }

  Duration execTimeout(ExecSpec spec) {
    return requestTimeout.plus(spec.timeout() != null ? spec.timeout() : DEFAULT_EXEC_TIMEOUT);
  }

  Executor streamExecutor() {
    return streamExecutor;
  }

  private URI uri(String path) {
    return URI.create(baseUrl + path);
  }

  /** A path segment, percent-encoded (a space is {@code %20}, never {@code +}). */
  static String segment(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** A 2xx answer. */
  record Answer<T>(int status, HttpHeaders headers, T body) {}

  /** The body of a non-2xx answer, read whole. */
  private record ErrorBody(byte[] bytes) {}

  /**
   * Sends a request; a non-2xx answer fails the future with its typed exception, after retrying
   * 429/503 within the retry policy.
   */
  <T> CompletableFuture<Answer<T>> exchange(
      HttpRequest.Builder builder, HttpResponse.BodyHandler<T> success) {
    HttpRequest request = builder.build();
    HttpResponse.BodyHandler<Object> handler =
        info ->
            info.statusCode() / 100 == 2
                ? HttpResponse.BodySubscribers.mapping(success.apply(info), b -> (Object) b)
                : HttpResponse.BodySubscribers.mapping(
                    HttpResponse.BodySubscribers.ofByteArray(), ErrorBody::new);
    Instant start = clock.instant();
    return attempt(request, handler, start, 0);
  }

  @SuppressWarnings("unchecked")
  private <T> CompletableFuture<Answer<T>> attempt(
      HttpRequest request, HttpResponse.BodyHandler<Object> handler, Instant start, int retries) {
    return http.sendAsync(request, handler)
        .handle(
            (response, failure) -> {
              if (failure != null) {
                Throwable cause = unwrap(failure);
                if (cause instanceof AgentSandboxException e) throw e;
                throw new TransportException(request.method() + " " + request.uri(), cause);
              }
              return response;
            })
        .thenCompose(
            response -> {
              if (!(response.body() instanceof ErrorBody error)) {
                return CompletableFuture.completedFuture(
                    new Answer<>(response.statusCode(), response.headers(), (T) response.body()));
              }
              AgentSandboxException e =
                  Wire.error(response.statusCode(), response.headers(), error.bytes(), clock);
              Duration delay = retryDelay(e, start, retries);
              if (delay == null) return CompletableFuture.failedFuture(e);
              return sleeper
                  .after(delay)
                  .thenCompose(v -> this.<T>attempt(request, handler, start, retries + 1));
            });
  }

  /** The wait before the next retry of {@code e}, or null to surface it. */
  private Duration retryDelay(AgentSandboxException e, Instant start, int retries) {
    if (e.status() != 429 && e.status() != 503) return null;
    if (retries >= retry.maxRetries()) return null;
    Duration delay = e.retryAfter().orElse(retry.defaultDelay());
    if (delay.compareTo(retry.maxDelay()) > 0) delay = retry.maxDelay();
    Duration elapsed = Duration.between(start, clock.instant());
    if (elapsed.plus(delay).compareTo(retry.maxTotal()) > 0) return null;
    return delay;
  }

  static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) t = t.getCause();
    return t;
  }

  /** Awaits a future; rethrows its {@link AgentSandboxException} as is. */
  static <T> T await(CompletableFuture<T> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new TransportException("interrupted while waiting for the server", e);
    } catch (ExecutionException | CancellationException e) {
      Throwable cause = unwrap(e);
      if (cause instanceof AgentSandboxException a) throw a;
      if (cause instanceof RuntimeException r) throw r;
      if (cause instanceof Error err) throw err;
      throw new TransportException("request", cause);
    }
  }

  static JsonNode readJson(byte[] body) {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      throw new AgentSandboxException(
          0, "invalid_answer", null, "not JSON: " + e.getMessage(), null);
    }
  }

  static byte[] bytes(JsonNode node) {
    try {
      return JSON.writeValueAsBytes(node);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Parses {@code Retry-After}: delta-seconds or an HTTP date; null when absent or invalid. */
  static Duration parseRetryAfter(String value, Clock clock) {
    if (value == null || value.isBlank()) return null;
    String v = value.strip();
    try {
      return Duration.ofSeconds(Math.max(0, Long.parseLong(v)));
    } catch (NumberFormatException e) {
      try {
        Duration d =
            Duration.between(
                clock.instant(), ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME));
        return d.isNegative() ? Duration.ZERO : d;
      } catch (DateTimeParseException e2) {
        return null;
      }
    }
  }

  private static ExecutorService defaultStreamExecutor() {
    AtomicInteger n = new AtomicInteger();
    return Executors.newCachedThreadPool(
        r -> {
          Thread t = new Thread(r, "agent-sandbox-stream-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }

  /** Builds a client. Not thread-safe; the client it builds is. */
  public static final class Builder {
    private URI baseUrl;
    private String token;
    private String tenant;
    private HttpClient httpClient;
    private RetryPolicy retryPolicy = RetryPolicy.defaults();
    private Sleeper sleeper = Sleeper.system();
    private Clock clock = Clock.systemUTC();
    private Duration requestTimeout = Duration.ofSeconds(30);
    private Executor streamExecutor;

    private Builder() {}

    /** The server, e.g. {@code http://127.0.0.1:8080} (required). */
    public Builder baseUrl(String baseUrl) {
      return baseUrl(URI.create(Objects.requireNonNull(baseUrl, "baseUrl")));
    }

    /** The server (required). */
    public Builder baseUrl(URI baseUrl) {
      this.baseUrl = baseUrl;
      return this;
    }

    /**
     * The API token sent as {@code Authorization: Bearer} on claim and pool calls; null or blank
     * for none (servers run with {@code --auth none}).
     */
    public Builder token(String token) {
      this.token = token;
      return this;
    }

    /**
     * The tenant sent as {@code X-Tenant} on claim and pool calls (without API tokens; with them
     * the token names the tenant). Null for none.
     */
    public Builder tenant(String tenant) {
      this.tenant = tenant;
      return this;
    }

    /** The HTTP client to use (default: HTTP/1.1, 10 s connect timeout). */
    public Builder httpClient(HttpClient httpClient) {
      this.httpClient = httpClient;
      return this;
    }

    /** Retries of 429/503 ({@link RetryPolicy#defaults()} unless set). */
    public Builder retryPolicy(RetryPolicy retryPolicy) {
      this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy");
      return this;
    }

    /** How retries wait ({@link Sleeper#system()} unless set; tests inject their own). */
    public Builder sleeper(Sleeper sleeper) {
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      return this;
    }

    /** The clock the retry budget is measured on (system UTC unless set). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * The time an answer may take beyond what the call itself allows (30 s unless set): a claim may
     * take its wait plus this, an exec its timeout plus this.
     */
    public Builder requestTimeout(Duration requestTimeout) {
      this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
      return this;
    }

    /**
     * Where {@link SandboxHandle#execStreamAsync} reads its stream and calls its consumer (a cached
     * pool of daemon threads unless set).
     */
    public Builder streamExecutor(Executor streamExecutor) {
      this.streamExecutor = streamExecutor;
      return this;
    }

    /** The client. */
    public AgentSandboxClient build() {
      return new AgentSandboxClient(this);
    }
  }
}
