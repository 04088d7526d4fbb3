package io.agentsandbox.scheduler.router;

import io.agentsandbox.core.model.AgentEndpoint;
import io.agentsandbox.core.port.AgentLocator;
import io.agentsandbox.scheduler.http.ApiAuth;
import io.agentsandbox.scheduler.http.ClaimTokens;
import io.agentsandbox.scheduler.http.HttpErrors;
import io.agentsandbox.scheduler.logging.AuditLog;
import io.agentsandbox.scheduler.shard.ShardCommand;
import io.agentsandbox.scheduler.shard.ShardCommand.SandboxClaimLookup;
import io.agentsandbox.scheduler.shard.ShardProxy;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.PromiseInternal;
import io.vertx.core.net.SocketAddress;
import io.vertx.httpproxy.ProxyRequest;
import java.util.HashMap;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Upstream's sandbox router on the API's port: a request with {@code X-Sandbox-ID} (and optional
 * {@code X-Sandbox-Namespace}, {@code -Port}, {@code -Timeout}) is proxied to that sandbox's agent,
 * path and query unchanged, bodies streamed (vertx-http-proxy). Only claimed sandboxes are
 * reachable; which claim holds a sandbox is asked of the shards once and cached on this loop (a
 * claimed sandbox is never offered again, so the answer holds until the sandbox is gone; entries
 * are re-checked after {@link #CACHE_TTL_NS}). One instance per HTTP verticle; used only on its
 * event loop.
 */
public final class SandboxRouter {

  /** The header that sends a request here. */
  public static final String SANDBOX_ID = "X-Sandbox-ID";

  static final String NAMESPACE = "X-Sandbox-Namespace";
  static final String PORT = "X-Sandbox-Port";
  static final String TIMEOUT = "X-Sandbox-Timeout";

  /** Exchange timeout without {@code X-Sandbox-Timeout}. */
  static final long DEFAULT_TIMEOUT_S = 60;

  /** Largest {@code X-Sandbox-Timeout}. */
  static final long MAX_TIMEOUT_S = 3600;

  /** How long a cached claim holds before the shards are asked again (a release shows by then). */
  static final long CACHE_TTL_NS = 1_000_000_000L;

  /** Kept-alive connections to one agent per HTTP event loop (Vert.x's default is 5). */
  static final int MAX_CONNECTIONS_PER_AGENT = 64;

  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  private record Cached(SandboxClaimLookup lookup, long atNs) {}

  private final Vertx vertx;
  private final List<ShardProxy> shards;
  private final AgentLocator locator;
  private final ApiAuth auth;
  private final ClaimTokens tokens;
  private final HttpClient client;
  // Event loop only
  private final HashMap<String, Cached> cache = new HashMap<>();

  public SandboxRouter(
      Vertx vertx,
      List<ShardProxy> shards,
      AgentLocator locator,
      ApiAuth auth,
      ClaimTokens tokens) {
    this.vertx = vertx;
    this.shards = List.copyOf(shards);
    this.locator = locator;
    this.auth = auth;
    this.tokens = tokens;
    this.client =
        vertx.createHttpClient(
            new HttpClientOptions().setConnectTimeout(5_000).setTcpNoDelay(true).setKeepAlive(true),
            new io.vertx.core.http.PoolOptions().setHttp1MaxSize(MAX_CONNECTIONS_PER_AGENT));
  }

  /** True when the request is for the router. */
  public static boolean isRouted(HttpServerRequest req) {
    return req.headers().contains(SANDBOX_ID);
  }

  /** Serves one routed request. */
  public void handle(HttpServerRequest req) {
    HttpServerResponse response = req.response();
    MultiMap h = req.headers();
    String name = h.get(SANDBOX_ID);
    if (h.getAll(SANDBOX_ID).size() != 1 || name == null || !DNS_LABEL.matcher(name).matches()) {
      bad(response, SANDBOX_ID, "must be one sandbox name (a DNS-1123 label, at most 63 chars)");
      return;
    }
    for (String header : new String[] {NAMESPACE, PORT, TIMEOUT}) {
      if (h.getAll(header).size() > 1) {
        bad(response, header, "must be given at most once");
        return;
      }
    }
    String ns = h.get(NAMESPACE);
    if (ns == null) ns = "default";
    else if (!DNS_LABEL.matcher(ns).matches()) {
      bad(response, NAMESPACE, "must be a namespace (a DNS-1123 label, at most 63 chars)");
      return;
    }
    int port = (int) number(h.get(PORT), AgentEndpoint.RUNTIME_PORT, 1, 65535);
    if (port < 0) {
      bad(response, PORT, "must be a port number 1..65535");
      return;
    }
    long timeoutS = number(h.get(TIMEOUT), DEFAULT_TIMEOUT_S, 1, MAX_TIMEOUT_S);
    if (timeoutS < 0) {
      bad(response, TIMEOUT, "must be whole seconds 1.." + MAX_TIMEOUT_S);
      return;
    }
    // vertx-http-proxy pauses the request until the origin is connected: no body is buffered.
    ProxyRequest proxyRequest = ProxyRequest.reverseProxy(req);
    String key = ns + "/" + name;
    Cached cached = cache.get(key);
    long now = System.nanoTime();
    Target target = new Target(req, proxyRequest, name, port, timeoutS * 1000);
    target.armTimer();
    if (cached != null && now - cached.atNs() < CACHE_TTL_NS) {
      authorize(target, cached.lookup());
      return;
    }
    String namespace = ns;
    lookup(namespace, name)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                target.fail(500, "internal_error", null, "internal error", 0);
                return;
              }
              SandboxClaimLookup l = ar.result();
              if (l.status() == SandboxClaimLookup.Status.CLAIMED)
                cache.put(key, new Cached(l, System.nanoTime()));
              else cache.remove(key);
              authorize(target, l);
            });
  }

  /** Asks every shard which claim holds the sandbox; the first that knows it answers. */
  private Future<SandboxClaimLookup> lookup(String ns, String name) {
    ContextInternal ctx = (ContextInternal) vertx.getOrCreateContext();
    PromiseInternal<SandboxClaimLookup> result = ctx.promise();
    int[] left = {shards.size()};
    SandboxClaimLookup[] best = {SandboxClaimLookup.NOT_FOUND};
    for (ShardProxy shard : shards) {
      PromiseInternal<SandboxClaimLookup> reply = ctx.promise();
      shard.send(new ShardCommand.FindSandboxClaim(ns, name, reply));
      reply
          .future()
          .onComplete(
              ar -> {
                if (ar.succeeded()) {
                  SandboxClaimLookup l = ar.result();
                  if (l.status() == SandboxClaimLookup.Status.CLAIMED) result.tryComplete(l);
                  else if (l.status() == SandboxClaimLookup.Status.UNCLAIMED) best[0] = l;
                } else {
                  result.tryFail(ar.cause());
                }
                if (--left[0] == 0) result.tryComplete(best[0]);
              });
    }
    return result.future();
  }

  private void authorize(Target t, SandboxClaimLookup l) {
    if (t.done) return; // timed out meanwhile
    switch (l.status()) {
      case NOT_FOUND -> {
        t.fail(404, "not_found", SANDBOX_ID, "no sandbox " + t.name + " in this namespace", 0);
        return;
      }
      case UNCLAIMED -> {
        t.fail(409, "not_claimed", SANDBOX_ID, "sandbox " + t.name + " is not claimed", 0);
        return;
      }
      case CLAIMED -> {}
    }
    if (!auth.enabled()) {
      forward(t, l);
      return;
    }
    String header = t.req.getHeader("Authorization");
    String token =
        header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
            ? header.substring(7).trim()
            : null;
    if (token == null || token.isEmpty()) {
      AuditLog.denied(t.req, 401, "no token for the sandbox router", null);
      t.req.response().putHeader("WWW-Authenticate", "Bearer");
      t.fail(
          401,
          "unauthorized",
          "Authorization",
          "the claim's token or the owning tenant's API token is required",
          0);
      return;
    }
    if (l.claimId().equals(tokens.verify(token)) || l.tenant().equals(auth.tenantOf(token))) {
      forward(t, l);
      return;
    }
    var remote = auth.remote();
    if (remote == null || token.length() > 4096) {
      AuditLog.denied(t.req, 403, "token may not reach sandbox " + t.name, token);
      t.fail(403, "forbidden", "Authorization", "the token may not reach sandbox " + t.name, 0);
      return;
    }
    ContextInternal ctx = (ContextInternal) vertx.getOrCreateContext();
    auth.verifyRemotely(
        ctx,
        token,
        (verdict, failure) -> {
          if (failure != null) {
            t.fail(
                503,
                "auth_unavailable",
                "Authorization",
                "the token could not be checked; retry",
                1_000);
          } else if (verdict.isAuthenticated() && l.tenant().equals(verdict.tenant())) {
            forward(t, l);
          } else {
            AuditLog.denied(t.req, 403, "token may not reach sandbox " + t.name, token);
            t.fail(
                403, "forbidden", "Authorization", "the token may not reach sandbox " + t.name, 0);
          }
        });
  }

  private void forward(Target t, SandboxClaimLookup l) {
    if (t.done) return; // timed out meanwhile
    AgentEndpoint endpoint = locator.locate(l.sandbox());
    if (endpoint == null) {
      t.fail(
          503, "not_ready", SANDBOX_ID, "sandbox " + t.name + " has no agent answering yet", 1_000);
      return;
    }
    SocketAddress address;
    boolean agentPort;
    if (endpoint.isUnix()) {
      if (t.port != AgentEndpoint.RUNTIME_PORT) {
        t.fail(
            400,
            "invalid_field",
            PORT,
            "this sandbox (local backend) serves only port 8888 (its agent's runtime API)",
            0);
        return;
      }
      address = SocketAddress.domainSocketAddress(endpoint.unixSocket().toString());
      agentPort = true;
    } else {
      address = SocketAddress.inetSocketAddress(t.port, endpoint.host());
      agentPort = t.port == endpoint.port();
    }
    ProxyRequest pr = t.proxyRequest;
    MultiMap headers = pr.headers();
    headers.remove(SANDBOX_ID).remove(NAMESPACE).remove(PORT).remove(TIMEOUT);
    headers.remove("X-Sandbox-Pod-IP").remove("X-Sandbox-UID").remove("Authorization");
    // The agent's secret goes to the agent only, never to another port of the sandbox.
    if (agentPort && endpoint.secret() != null)
      headers.set("Authorization", "Bearer " + endpoint.secret());
    RequestOptions options =
        new RequestOptions()
            .setServer(address)
            .setHost(endpoint.isUnix() ? "localhost" : endpoint.host())
            .setPort(endpoint.isUnix() ? AgentEndpoint.RUNTIME_PORT : t.port)
            .setTimeout(t.timeoutMs)
            .setConnectTimeout(Math.min(t.timeoutMs, 5_000));
    client
        .request(options)
        .compose(pr::send)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                boolean timedOut =
                    ar.cause() instanceof java.util.concurrent.TimeoutException
                        || String.valueOf(ar.cause().getMessage()).contains("timeout");
                AuditLog.routed(t.req, l.claimId(), t.name, t.port, timedOut ? 504 : 502);
                if (timedOut) {
                  t.fail(
                      504,
                      "sandbox_timeout",
                      TIMEOUT,
                      "the sandbox did not answer within " + t.timeoutMs / 1000 + " s",
                      0);
                } else {
                  t.fail(
                      502,
                      "agent_unreachable",
                      null,
                      "the agent of sandbox " + t.name + " is not answering",
                      0);
                }
                return;
              }
              if (t.done) {
                ar.result().release();
                return;
              }
              t.done = true;
              t.headArrived = true;
              vertx.cancelTimer(t.timer);
              AuditLog.routed(t.req, l.claimId(), t.name, t.port, ar.result().getStatusCode());
              ar.result().send();
            });
  }

  /** One routed request on its way. Event loop only. */
  private final class Target {
    final HttpServerRequest req;
    final ProxyRequest proxyRequest;
    final String name;
    final int port;
    final long timeoutMs;
    long timer = -1;
    boolean headArrived;
    boolean closeAfterFailure;
    // True once answered with an error: a late answer of the agent is dropped.
    boolean done;

    Target(HttpServerRequest req, ProxyRequest proxyRequest, String name, int port, long ms) {
      this.req = req;
      this.proxyRequest = proxyRequest;
      this.name = name;
      this.port = port;
      this.timeoutMs = ms;
    }

    /** Never a hang past the timeout: 504 when the answer's head has not come by then. */
    void armTimer() {
      timer =
          vertx.setTimer(
              timeoutMs,
              id -> {
                if (headArrived) return;
                // The exchange is abandoned (the agent's answer, if it comes, is dropped): the
                // connection is closed once the error is on the wire.
                closeAfterFailure = true;
                if (!req.isEnded()) {
                  fail(
                      408, "request_timeout", "body", "the request body did not arrive in time", 0);
                } else {
                  fail(
                      504,
                      "sandbox_timeout",
                      TIMEOUT,
                      "the sandbox did not answer within " + timeoutMs / 1000 + " s",
                      0);
                }
              });
      req.response().closeHandler(v -> vertx.cancelTimer(timer));
    }

    /**
     * Answers with an error, once; closes the connection after it when the request's body is still
     * coming (it will not be read) or the exchange timed out.
     */
    void fail(int status, String code, String field, String message, long retryAfterMs) {
      if (done) return;
      done = true;
      vertx.cancelTimer(timer);
      headArrived = true;
      proxyRequest.release();
      HttpServerResponse response = req.response();
      boolean close = closeAfterFailure || !req.isEnded();
      if (close) response.putHeader("Connection", "close");
      HttpErrors.write(response, status, code, field, message, retryAfterMs)
          .onComplete(
              ar -> {
                if (close) req.connection().close();
              });
    }
  }

  private static void bad(HttpServerResponse response, String field, String message) {
    HttpErrors.write(response, 400, "invalid_field", field, field + " " + message, 0);
  }

  /** The header's value as a number in [min, max]; {@code dflt} when absent; -1 when invalid. */
  private static long number(String value, long dflt, long min, long max) {
    if (value == null) return dflt;
    if (value.isEmpty() || value.length() > 10) return -1;
    long v = 0;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') return -1;
      v = v * 10 + (c - '0');
    }
    return v < min || v > max ? -1 : v;
  }

  /** Closes the router's client. */
  public Future<Void> close() {
    return client.close();
  }
}
