package io.agentsandbox.k8s.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentsandbox.core.port.TokenVerifier.Verdict;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Caching, tenant mapping and failure handling of TokenReview checks, with a fake API server and a
 * manual clock.
 */
class TokenReviewVerifierTest {

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final AtomicInteger reviews = new AtomicInteger();
  private final List<Runnable> queued = new ArrayList<>();

  private static TokenReviewStatus user(String name, String... groups) {
    return new TokenReviewStatusBuilder()
        .withAuthenticated(true)
        .withNewUser()
        .withUsername(name)
        .withGroups(groups)
        .endUser()
        .build();
  }

  private TokenReviewVerifier verifier(Function<String, TokenReviewStatus> api, int maxEntries) {
    Function<String, TokenReviewStatus> counting =
        t -> {
          reviews.incrementAndGet();
          return api.apply(t);
        };
    return new TokenReviewVerifier(
        counting,
        Runnable::run,
        now::get,
        TimeUnit.SECONDS.toNanos(30),
        TimeUnit.SECONDS.toNanos(5),
        maxEntries,
        16,
        TokenReviewVerifier.DEFAULT_TENANT_GROUP_PREFIX);
  }

  private static Verdict get(CompletableFuture<Verdict> f) throws Exception {
    return f.get(1, TimeUnit.SECONDS);
  }

  @Test
  void shouldMapTheTenantFromTheGroupElseTheUsername() throws Exception {
    TokenReviewVerifier v =
        verifier(
            t ->
                switch (t) {
                  case "a" -> user("alice", "developers", "agent-sandbox:tenant:team-a");
                  case "s" -> user("system:serviceaccount:agents:runner");
                  case "x" -> user("name with spaces");
                  default ->
                      new TokenReviewStatusBuilder()
                          .withAuthenticated(false)
                          .withError("invalid bearer token")
                          .build();
                },
            100);
    assertThat(get(v.verify("a").toCompletableFuture()).tenant()).isEqualTo("team-a");
    assertThat(get(v.verify("s").toCompletableFuture()).tenant())
        .isEqualTo("system:serviceaccount:agents:runner");
    Verdict unusable = get(v.verify("x").toCompletableFuture());
    assertThat(unusable.isAuthenticated()).isFalse();
    assertThat(unusable.reason()).contains("no usable tenant name");
    Verdict refused = get(v.verify("nope").toCompletableFuture());
    assertThat(refused.isAuthenticated()).isFalse();
    assertThat(refused.reason()).contains("did not authenticate").doesNotContain("nope");
  }

  @Test
  void shouldCacheAnswersBrieflyAndRefusalsBriefer() throws Exception {
    TokenReviewVerifier v =
        verifier(t -> t.equals("good") ? user("alice") : new TokenReviewStatus(), 100);
    get(v.verify("good").toCompletableFuture());
    get(v.verify("bad").toCompletableFuture());
    assertThat(reviews).hasValue(2);

    now.addAndGet(TimeUnit.SECONDS.toNanos(4));
    get(v.verify("good").toCompletableFuture());
    get(v.verify("bad").toCompletableFuture());
    assertThat(reviews).as("both cached").hasValue(2);

    now.addAndGet(TimeUnit.SECONDS.toNanos(2)); // 6 s: the refusal expired, the answer not
    get(v.verify("good").toCompletableFuture());
    get(v.verify("bad").toCompletableFuture());
    assertThat(reviews).hasValue(3);

    now.addAndGet(TimeUnit.SECONDS.toNanos(25)); // 31 s
    assertThat(get(v.verify("good").toCompletableFuture()).tenant()).isEqualTo("alice");
    assertThat(reviews).hasValue(4);
  }

  @Test
  void shouldNotCacheFailuresAndSayWhatFailed() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    TokenReviewVerifier v =
        verifier(
            t -> {
              if (calls.incrementAndGet() == 1)
                throw new KubernetesClientException("connect refused");
              if (calls.get() == 2) throw new KubernetesClientException("forbidden", 403, null);
              return user("alice");
            },
            100);
    assertThatThrownBy(() -> get(v.verify("t").toCompletableFuture()))
        .isInstanceOf(ExecutionException.class)
        .hasMessageContaining("did not answer");
    assertThatThrownBy(() -> get(v.verify("t").toCompletableFuture()))
        .isInstanceOf(ExecutionException.class)
        .hasMessageContaining("tokenreviews.authentication.k8s.io (RBAC)");
    assertThat(get(v.verify("t").toCompletableFuture()).tenant()).isEqualTo("alice");
  }

  @Test
  void shouldShareOneReviewBetweenConcurrentChecksAndBoundTheCache() throws Exception {
    TokenReviewVerifier v =
        new TokenReviewVerifier(
            t -> {
              reviews.incrementAndGet();
              return user("u-" + t);
            },
            queued::add,
            now::get,
            TimeUnit.SECONDS.toNanos(30),
            TimeUnit.SECONDS.toNanos(5),
            8,
            16,
            TokenReviewVerifier.DEFAULT_TENANT_GROUP_PREFIX);
    CompletableFuture<Verdict> first = v.verify("same").toCompletableFuture();
    CompletableFuture<Verdict> second = v.verify("same").toCompletableFuture();
    assertThat(queued).hasSize(1);
    queued.remove(0).run();
    assertThat(get(first).tenant()).isEqualTo("u-same");
    assertThat(get(second).tenant()).isEqualTo("u-same");
    assertThat(reviews).hasValue(1);

    for (int i = 0; i < 100; i++) {
      v.verify("t" + i);
      while (!queued.isEmpty()) queued.remove(0).run();
    }
    assertThat(v.cacheSize()).isLessThanOrEqualTo(9);
  }

  @Test
  void shouldFailAtOnceWhenTooManyReviewsAreInFlight() {
    TokenReviewVerifier v =
        new TokenReviewVerifier(
            t -> user("u"),
            r -> {
              throw new RejectedExecutionException("full");
            },
            now::get,
            1,
            1,
            100,
            1,
            TokenReviewVerifier.DEFAULT_TENANT_GROUP_PREFIX);
    assertThatThrownBy(() -> get(v.verify("t").toCompletableFuture()))
        .hasMessageContaining("too many token reviews");
    assertThat(v.cacheSize()).isZero();
  }
}
