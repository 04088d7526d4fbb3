package io.agentsandbox.scheduler.http;

import io.agentsandbox.core.port.TokenVerifier;
import io.agentsandbox.scheduler.logging.AuditLog;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.ContextInternal;
import io.vertx.ext.web.RoutingContext;

/**
 * Who is calling: the API token of a {@code /v1} claim or pool request, checked against the tokens
 * file and then, when configured, a {@link TokenVerifier}; the tenant is put in the routing context
 * under {@link #IDENTITY}. One instance per HTTP verticle; used on its event loop.
 */
final class ApiIdentity {

  private final ApiAuth auth;

  ApiIdentity(ApiAuth auth) {
    this.auth = auth;
  }

  /** Routing-context key of the authenticated tenant (absent when auth is off). */
  static final String IDENTITY = "agentsandbox.identity.tenant";

  /**
   * First handler of every {@code /v1} claim and pool route: 401 unless a valid API token is
   * presented.
   */
  void authenticate(RoutingContext rc) {
    if (!auth.enabled()) {
      rc.next();
      return;
    }
    identify(
        rc.request(),
        tenant -> {
          rc.put(IDENTITY, tenant);
          rc.next();
        });
  }

  /**
   * Runs {@code then} at once, or once the caller is identified when the path needs an API token.
   */
  void afterIdentity(RoutingContext rc, Runnable then) {
    if (needsApiToken(rc)) identify(rc.request(), tenant -> then.run());
    else then.run();
  }

  /**
   * True for paths the API token guards when auth is on: {@code /v1/**} except the sandbox routes
   * (claim tokens).
   */
  boolean needsApiToken(RoutingContext rc) {
    String path = rc.request().path();
    return auth.enabled()
        && path != null
        && path.startsWith("/v1/")
        && !path.startsWith("/v1/sandboxes/");
  }

  /** True when calls need an API token. */
  boolean enabled() {
    return auth.enabled();
  }

  /**
   * Calls {@code then} with the tenant of the request's API token, on the request's event loop;
   * else writes {@code 401} with {@code WWW-Authenticate} ({@code 503} + {@code Retry-After} when
   * the token could not be checked because the Kubernetes API server did not answer). Tokens from
   * the file are checked at once; others go to the {@link TokenVerifier} when there is one.
   */
  void identify(HttpServerRequest request, java.util.function.Consumer<String> then) {
    String header = request.getHeader("Authorization");
    HttpServerResponse response = request.response();
    if (header == null || header.length() < 8 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      AuditLog.denied(request, 401, "no API token", null);
      response.putHeader("WWW-Authenticate", "Bearer realm=\"agent-sandbox\"");
      HttpErrors.write(
          response,
          401,
          "unauthorized",
          "Authorization",
          "an API token is required: Authorization: Bearer <token>"
              + (auth.remote() == null ? " from --api-tokens-file" : ""),
          0);
      return;
    }
    String token = header.substring(7).trim();
    String tenant = auth.tenantOf(token);
    if (tenant != null) {
      then.accept(tenant);
      return;
    }
    TokenVerifier remote = auth.remote();
    if (remote == null || token.isEmpty() || token.length() > ApiAuth.MAX_TOKEN_CHARS * 8) {
      AuditLog.denied(request, 401, "unknown API token", token);
      invalidToken(response, "invalid API token");
      return;
    }
    ContextInternal ctx = ContextInternal.current();
    // The body must wait for whoever reads it after us (it resumes the request); without the pause
    // it would arrive while the token is being checked and be lost.
    request.pause();
    auth.verifyRemotely(
        ctx,
        token,
        (verdict, failure) -> {
          if (response.ended() || response.closed()) return;
          if (failure != null) {
            HttpErrors.write(
                response,
                503,
                "auth_unavailable",
                "Authorization",
                "the API token could not be checked: " + rootMessage(failure) + "; retry",
                1_000);
          } else if (verdict.isAuthenticated()) {
            then.accept(verdict.tenant());
          } else {
            AuditLog.denied(request, 401, "TokenReview: " + verdict.reason(), token);
            invalidToken(response, verdict.reason());
          }
        });
  }

  private static void invalidToken(HttpServerResponse response, String message) {
    response.putHeader(
        "WWW-Authenticate", "Bearer realm=\"agent-sandbox\", error=\"invalid_token\"");
    HttpErrors.write(response, 401, "unauthorized", "Authorization", message, 0);
  }

  private static String rootMessage(Throwable failure) {
    Throwable t =
        failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  static void forbidTenant(HttpServerRequest request, String field, String identity) {
    AuditLog.denied(request, 403, field + " names another tenant than the API token's", null);
    HttpErrors.write(
        request.response(),
        403,
        "tenant_mismatch",
        field,
        "the API token is tenant "
            + identity
            + "; "
            + field
            + " must be absent or name that tenant",
        0);
  }
}
