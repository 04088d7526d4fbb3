package io.agentsandbox.core.port;

import java.util.concurrent.CompletionStage;

/**
 * Checks an API token with an outside authority (Kubernetes {@code TokenReview}). Implementations
 * never block the caller: the answer comes back on a thread of theirs, and the caller hops back to
 * its own event loop. Thread-safe.
 */
public interface TokenVerifier {

  /**
   * The authority's answer: {@code tenant} when it authenticated the token, else null and {@code
   * reason} says why (safe to show the client: it never contains the token).
   */
  record Verdict(String tenant, String reason) {
    public static Verdict authenticated(String tenant) {
      return new Verdict(tenant, null);
    }

    public static Verdict rejected(String reason) {
      return new Verdict(null, reason);
    }

    public boolean isAuthenticated() {
      return tenant != null;
    }
  }

  /**
   * Verifies a token. Completes with a {@link Verdict}, or exceptionally when the authority could
   * not be asked (unreachable, refused us, too many checks at once): the request then gets {@code
   * 503}, never {@code 401}, since the token may well be valid.
   */
  CompletionStage<Verdict> verify(String token);
}
