package io.agentsandbox.scheduler.http;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.util.function.Consumer;

/**
 * The hot claim routes served straight from the HTTP server's request handler, without vertx-web's
 * router, routing context and body handler: {@code POST /v1/claims}, {@code GET} and {@code DELETE
 * /v1/claims/{id}}, when the path is spelt exactly so and a {@code POST} declares a {@code
 * Content-Length} within {@code --max-body-bytes}. Anything else (a chunked or oversized body, a
 * trailing slash, an encoded id, another method) goes to the router, which answers it as before.
 * The checks run in the routes' order: API token (before any body is read), body, readiness, then
 * the claim ({@link ClaimRoutes#submitClaim}, {@link ClaimRoutes#readClaim}, {@link
 * ClaimRoutes#releaseClaim}). One per HTTP verticle; used only on its event loop.
 */
final class ClaimEdge {

  private static final String CLAIMS = "/v1/claims";
  private static final int MAX_ID = 128;

  private final ClaimRoutes routes;
  private final ApiIdentity identity;
  private final long maxBodyBytes;

  ClaimEdge(ClaimRoutes routes, ApiIdentity identity, long maxBodyBytes) {
    this.routes = routes;
    this.identity = identity;
    this.maxBodyBytes = maxBodyBytes;
  }

  /** Serves the request and returns true, or returns false without touching it. */
  boolean handle(HttpServerRequest req) {
    String path = req.path();
    if (path == null || !path.startsWith(CLAIMS)) return false;
    HttpMethod method = req.method();
    if (path.length() == CLAIMS.length()) {
      if (method != HttpMethod.POST) return false;
      long length = contentLength(req.getHeader(HttpHeaders.CONTENT_LENGTH));
      if (length < 0 || length > maxBodyBytes) return false;
      identified(req, tenant -> readBody(req, tenant));
      return true;
    }
    if (path.charAt(CLAIMS.length()) != '/' || !isPlainId(path, CLAIMS.length() + 1)) return false;
    String id = path.substring(CLAIMS.length() + 1);
    if (method != HttpMethod.DELETE && method != HttpMethod.GET) return false;
    boolean release = method == HttpMethod.DELETE;
    identified(
        req,
        tenant -> {
          if (!routes.ready(req.response())) return;
          if (release) routes.releaseClaim(req, id, tenant);
          else routes.readClaim(req, id, tenant);
        });
    return true;
  }

  private void identified(HttpServerRequest req, Consumer<String> then) {
    if (identity.enabled()) identity.identify(req, then);
    else then.accept(null);
  }

  private void readBody(HttpServerRequest req, String tenant) {
    req.body()
        .onComplete(
            ar -> {
              // A failed body is a connection that closed: nobody to answer.
              if (ar.failed() || !routes.ready(req.response())) return;
              routes.submitClaim(req, ar.result(), tenant);
            });
    req.resume(); // paused while a token was checked remotely
  }

  /** The header's value, or -1 when absent or not a plain decimal number. */
  static long contentLength(String value) {
    if (value == null || value.isEmpty() || value.length() > 12) return -1;
    long n = 0;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') return -1;
      n = n * 10 + (c - '0');
    }
    return n;
  }

  /** True when {@code path} from {@code from} is 1-128 characters of {@code [A-Za-z0-9_-]}. */
  static boolean isPlainId(String path, int from) {
    int n = path.length() - from;
    if (n < 1 || n > MAX_ID) return false;
    for (int i = from; i < path.length(); i++) {
      char c = path.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '-'
              || c == '_';
      if (!ok) return false;
    }
    return true;
  }
}
