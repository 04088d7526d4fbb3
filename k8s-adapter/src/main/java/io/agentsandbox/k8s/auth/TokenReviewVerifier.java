package io.agentsandbox.k8s.auth;

import io.agentsandbox.core.internal.DaemonThreads;
import io.agentsandbox.core.port.TokenVerifier;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.api.model.authentication.UserInfo;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * API tokens checked by the Kubernetes API server: each unknown token is sent in a {@code
 * authentication.k8s.io/v1 TokenReview} (needs {@code create} on {@code tokenreviews}). The tenant
 * is the first group of the user that starts with {@link #DEFAULT_TENANT_GROUP_PREFIX} (minus the
 * prefix), else the username (a service account is {@code system:serviceaccount:<ns>:<name>}).
 *
 * <p>Answers are cached by the token's SHA-256 (never the token itself): authenticated for {@link
 * #DEFAULT_POSITIVE_TTL_NS}, rejected for a shorter {@link #DEFAULT_NEGATIVE_TTL_NS}, failures (API
 * server unreachable) not at all. Concurrent checks of the same token share one review. The cache
 * holds at most {@code maxEntries} (expired entries are swept, then everything is dropped when it
 * is still full), and at most {@code maxInFlight} reviews run or queue at once: beyond that a check
 * fails at once (the request gets {@code 503}), so a flood of made-up tokens cannot pile up work on
 * the API server or in memory.
 *
 * <p>Thread-safe. Reviews run on this verifier's own small worker pool (fabric8 calls block); the
 * returned stages complete there.
 */
public final class TokenReviewVerifier implements TokenVerifier, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(TokenReviewVerifier.class);
  public static final String DEFAULT_TENANT_GROUP_PREFIX = "agent-sandbox:tenant:";
  public static final long DEFAULT_POSITIVE_TTL_NS = TimeUnit.SECONDS.toNanos(30);
  public static final long DEFAULT_NEGATIVE_TTL_NS = TimeUnit.SECONDS.toNanos(5);
  static final Pattern TENANT = Pattern.compile("[A-Za-z0-9._:@-]{1,128}");

  private record Entry(CompletableFuture<Verdict> answer, long expiresAtNs) {}

  private final Function<String, TokenReviewStatus> review;
  private final Executor executor;
  private final ThreadPoolExecutor ownPool;
  private final LongSupplier nanoTime;
  private final long positiveTtlNs;
  private final long negativeTtlNs;
  private final int maxEntries;
  private final String groupPrefix;
  private final ConcurrentHashMap<String, Entry> cache = new ConcurrentHashMap<>();

  /**
   * Reviews through a client with {@code client}'s configuration but a 5 s request timeout and no
   * retries (a client waits on each review: an unreachable API server must turn into a quick 503,
   * not a long retry loop); 4 workers, up to 256 reviews running or queued, 10,000 cached answers.
   */
  public TokenReviewVerifier(KubernetesClient client) {
    this(
        reviewer(client),
        null,
        System::nanoTime,
        DEFAULT_POSITIVE_TTL_NS,
        DEFAULT_NEGATIVE_TTL_NS,
        10_000,
        256,
        DEFAULT_TENANT_GROUP_PREFIX);
  }

  /**
   * @param review sends one review and returns its status (blocking; throws when the API server
   *     cannot be asked)
   * @param executor runs reviews; null for an own pool of 4 threads with {@code maxInFlight} slots
   */
  TokenReviewVerifier(
      Function<String, TokenReviewStatus> review,
      Executor executor,
      LongSupplier nanoTime,
      long positiveTtlNs,
      long negativeTtlNs,
      int maxEntries,
      int maxInFlight,
      String groupPrefix) {
    this.review = review;
    this.nanoTime = nanoTime;
    this.positiveTtlNs = positiveTtlNs;
    this.negativeTtlNs = negativeTtlNs;
    this.maxEntries = maxEntries;
    this.groupPrefix = groupPrefix;
    if (executor == null) {
      ownPool =
          new ThreadPoolExecutor(
              4,
              4,
              30,
              TimeUnit.SECONDS,
              new ArrayBlockingQueue<>(Math.max(1, maxInFlight - 4)),
              DaemonThreads.named("token-review"));
      ownPool.allowCoreThreadTimeOut(true);
      this.executor = ownPool;
    } else {
      ownPool = null;
      this.executor = executor;
    }
  }

  private static Function<String, TokenReviewStatus> reviewer(KubernetesClient client) {
    KubernetesClient quick =
        new io.fabric8.kubernetes.client.KubernetesClientBuilder()
            .withConfig(
                new io.fabric8.kubernetes.client.ConfigBuilder(client.getConfiguration())
                    .withRequestTimeout(5_000)
                    .withConnectionTimeout(2_000)
                    .withRequestRetryBackoffLimit(0)
                    .build())
            .build();
    return token -> reviewWith(quick, token);
  }

  private static TokenReviewStatus reviewWith(KubernetesClient client, String token) {
    TokenReview asked = new TokenReviewBuilder().withNewSpec().withToken(token).endSpec().build();
    TokenReview answered = client.authentication().v1().tokenReviews().create(asked);
    return answered.getStatus() == null ? new TokenReviewStatus() : answered.getStatus();
  }

  @Override
  public CompletionStage<Verdict> verify(String token) {
    String key = digest(token);
    long now = nanoTime.getAsLong();
    Entry cached = cache.get(key);
    if (cached != null && (!cached.answer().isDone() || now - cached.expiresAtNs() < 0))
      return cached.answer();
    CompletableFuture<Verdict> answer = new CompletableFuture<>();
    // Pending entries never expire; the real expiry is set when the answer arrives.
    Entry pending = new Entry(answer, Long.MAX_VALUE);
    Entry raced =
        cached == null
            ? cache.putIfAbsent(key, pending)
            : (cache.replace(key, cached, pending) ? null : cache.get(key));
    if (raced != null) return raced.answer();
    if (cache.size() > maxEntries) sweep(now);
    try {
      executor.execute(() -> run(key, token, answer));
    } catch (RejectedExecutionException e) {
      cache.remove(key, pending);
      answer.completeExceptionally(
          new IllegalStateException("too many token reviews in flight; retry"));
    }
    return answer;
  }

  private void run(String key, String token, CompletableFuture<Verdict> answer) {
    Verdict verdict;
    try {
      verdict = verdictOf(review.apply(token));
    } catch (RuntimeException e) {
      cache.remove(key);
      String why =
          e instanceof KubernetesClientException k && k.getCode() == 403
              ? "the server may not create tokenreviews.authentication.k8s.io (RBAC)"
              : "the Kubernetes API server did not answer the token review";
      LOG.warn("token review failed: {} ({})", why, e.toString());
      answer.completeExceptionally(new IllegalStateException(why, e));
      return;
    }
    long ttl = verdict.isAuthenticated() ? positiveTtlNs : negativeTtlNs;
    cache.put(key, new Entry(answer, nanoTime.getAsLong() + ttl));
    answer.complete(verdict);
  }

  private Verdict verdictOf(TokenReviewStatus status) {
    if (!Boolean.TRUE.equals(status.getAuthenticated()) || status.getUser() == null) {
      return Verdict.rejected(
          "the Kubernetes API server did not authenticate this token (TokenReview)");
    }
    UserInfo user = status.getUser();
    List<String> groups = user.getGroups() == null ? List.of() : user.getGroups();
    for (String g : groups) {
      if (g != null
          && g.startsWith(groupPrefix)
          && TENANT.matcher(g.substring(groupPrefix.length())).matches()) {
        return Verdict.authenticated(g.substring(groupPrefix.length()));
      }
    }
    String name = user.getUsername();
    if (name != null && TENANT.matcher(name).matches()) return Verdict.authenticated(name);
    return Verdict.rejected(
        "the token's Kubernetes user has no usable tenant name (1-128 of A-Z a-z 0-9 . _ : @ -, "
            + "or a group '"
            + groupPrefix
            + "<tenant>')");
  }

  /** Drops expired answers; when still over the bound, drops every finished one. */
  private void sweep(long now) {
    cache.values().removeIf(e -> e.answer().isDone() && now - e.expiresAtNs() >= 0);
    if (cache.size() > maxEntries) cache.values().removeIf(e -> e.answer().isDone());
  }

  /** Cached answers (and reviews in flight); for tests and metrics. */
  int cacheSize() {
    return cache.size();
  }

  private static String digest(String token) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  @Override
  public void close() {
    if (ownPool != null) ownPool.shutdownNow();
  }
}
