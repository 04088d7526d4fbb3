package io.agentsandbox.scheduler.http;

import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.ClaimRequest;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RejectReason;
import io.agentsandbox.core.port.TokenVerifier;
import io.agentsandbox.scheduler.shard.PoolSnapshot;
import io.agentsandbox.scheduler.shard.ShardCommand;
import io.agentsandbox.scheduler.shard.ShardProxy;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.PromiseInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.SecurityPolicyHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.io.IOException;
import java.io.InputStream;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP claim API's routes ({@code /v1/claims}, {@code /v1/pools}, {@code /metrics}, {@code
 * /healthz}, {@code /readyz}, {@code /openapi.yaml}). One instance per HTTP verticle; used only on
 * that verticle's event loop.
 */
public final class ClaimRoutes {

  private static final Logger LOG = LoggerFactory.getLogger(ClaimRoutes.class);
  static final String OPENAPI_RESOURCE = "/openapi.yaml";

  private final ApiContext api;
  private final ClaimJsonCodec codec;
  private final SecureRandom random = new SecureRandom();
  private final Buffer openApi;
  private final ApiAuth auth;

  /** Routes without API authentication. */
  public ClaimRoutes(ApiContext api) {
    this(api, ApiAuth.none());
  }

  /**
   * Routes whose {@code /v1/claims} and {@code /v1/pools} calls need an API token when {@code auth}
   * is enabled.
   */
  public ClaimRoutes(ApiContext api, ApiAuth auth) {
    this.api = api;
    this.auth = auth;
    this.codec = new ClaimJsonCodec(api.config(), api.catalog());
    this.openApi = loadOpenApi();
  }

  /** The API's OpenAPI 3 document, as served at {@code /openapi.yaml}. */
  public static Buffer loadOpenApi() {
    try (InputStream in = ClaimRoutes.class.getResourceAsStream(OPENAPI_RESOURCE)) {
      if (in == null) throw new IllegalStateException("missing resource " + OPENAPI_RESOURCE);
      return Buffer.buffer(in.readAllBytes());
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + OPENAPI_RESOURCE, e);
    }
  }

  /** Builds the router. */
  public Router router(Vertx vertx) {
    Router router = Router.router(vertx);
    // A security-policy handler may run before the body handler (Vert.x Web orders handler kinds).
    SecurityPolicyHandler authenticate = this::authenticate;
    // Authentication runs first, so an unauthenticated body is never buffered. The sandbox routes
    // authenticate with the claim's own token instead (SandboxRoutes).
    router
        .post("/v1/claims")
        .handler(authenticate)
        .handler(BodyHandler.create(false).setBodyLimit(api.config().maxBodyBytes()))
        .handler(this::postClaim);
    router.get("/v1/claims/:id").handler(authenticate).handler(this::getClaim);
    router.delete("/v1/claims/:id").handler(authenticate).handler(this::deleteClaim);
    router.get("/v1/pools").handler(authenticate).handler(this::getPools);
    router.get("/v1/pools/:namespace/:name").handler(authenticate).handler(this::getPool);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(api.registry()));
    router
        .get("/healthz")
        .handler(rc -> json(rc.response(), 200, new JsonObject().put("status", "ok")));
    router.get("/readyz").handler(this::readyz);
    router
        .get("/openapi.yaml")
        .handler(rc -> rc.response().putHeader("content-type", "application/yaml").end(openApi));
    new SandboxRoutes(api).register(router);
    router.errorHandler(
        404,
        rc ->
            afterIdentity(
                rc,
                () -> { // no route details for strangers
                  if (SandboxRoutes.isTraversal(rc.request().path())) {
                    HttpErrors.write(
                        rc.response(),
                        400,
                        "invalid_path",
                        "path",
                        "path must not contain '..' (traversal out of /workspace)",
                        0);
                  } else {
                    HttpErrors.write(
                        rc.response(),
                        404,
                        "not_found",
                        null,
                        "no route " + rc.request().method() + " " + rc.request().path(),
                        0);
                  }
                }));
    router.errorHandler(
        405,
        rc ->
            afterIdentity(
                rc,
                () ->
                    HttpErrors.write(
                        rc.response(),
                        405,
                        "method_not_allowed",
                        null,
                        "method "
                            + rc.request().method()
                            + " is not allowed on "
                            + rc.request().path(),
                        0)));
    router.errorHandler(
        413,
        rc ->
            HttpErrors.write(
                rc.response(),
                413,
                "body_too_large",
                "body",
                "request body is larger than " + api.config().maxBodyBytes() + " bytes",
                0));
    router.errorHandler(
        400,
        rc -> HttpErrors.write(rc.response(), 400, "bad_request", null, "malformed request", 0));
    router.errorHandler(
        500,
        rc -> {
          LOG.error(
              "unhandled failure on {} {}",
              rc.request().method(),
              rc.request().path(),
              rc.failure());
          HttpErrors.write(rc.response(), 500, "internal_error", null, "internal error", 0);
        });
    return router;
  }

  // ---------------------------------------------------------------- claims

  private void postClaim(RoutingContext rc) {
    HttpServerResponse response = rc.response();
    String contentType = rc.request().getHeader("content-type");
    if (contentType != null && !isJson(contentType)) {
      HttpErrors.write(
          response, 415, "unsupported_media_type", "content-type", "must be application/json", 0);
      return;
    }
    long now = api.clock().nanoTime();
    ClaimRequest request;
    String claimId;
    ShardProxy shard;
    try {
      // NOTE: the id names its shard, but the shard depends on the pool; decode once with a
      // placeholder to learn the pool, then mint the id for that pool's shard.
      String identity = rc.get(IDENTITY);
      String headerTenant = rc.request().getHeader("X-Tenant");
      if (identity != null) {
        // The tenant is the API token's: a header or body naming another one is refused, not
        // obeyed.
        if (headerTenant != null && !headerTenant.equals(identity)) {
          forbidTenant(response, "X-Tenant", identity);
          return;
        }
        headerTenant = identity;
      }
      ClaimRequest decoded;
      try {
        decoded = codec.decodeClaim(rc.body().buffer(), headerTenant, "pending", now);
      } catch (BadRequestException.TenantMismatch e) {
        if (identity == null) throw e;
        forbidTenant(response, "tenant", identity);
        return;
      }
      int k = api.router().shardOf(decoded.pool());
      shard = api.shards().get(k);
      claimId = api.router().newClaimId(k, random);
      request =
          new ClaimRequest(
              claimId,
              decoded.pool(),
              decoded.tenant(),
              decoded.priority(),
              decoded.onEmpty(),
              decoded.waitNs(),
              decoded.ttlNs(),
              decoded.receivedAtNs());
    } catch (BadRequestException e) {
      HttpErrors.badRequest(response, e);
      return;
    } catch (NotFoundException e) {
      HttpErrors.notFound(response, e.field(), e.getMessage());
      return;
    }
    var spec = api.catalog().get(request.pool());
    String unavailable = spec == null ? null : api.unavailable().apply(spec.runtimeClass());
    if (unavailable != null) {
      HttpErrors.write(
          response,
          RejectReason.RUNTIME_CLASS_UNAVAILABLE.httpStatus(),
          RejectReason.RUNTIME_CLASS_UNAVAILABLE.code(),
          "pool",
          "RuntimeClassUnavailable: pool " + request.pool() + ": " + unavailable,
          0);
      return;
    }
    HttpClaimTicket ticket =
        new HttpClaimTicket(request, rc, (ContextInternal) rc.vertx().getOrCreateContext(), this);
    if (!shard.submitClaim(ticket)) {
      HttpErrors.write(
          response,
          503,
          RejectReason.QUEUE_FULL.code(),
          null,
          "scheduler shard " + shard.index() + " is at capacity; retry later",
          api.config().queueFullRetryAfterMs());
    }
  }

  /** HTTP loop: answers a claim with its outcome. */
  void respond(HttpClaimTicket ticket, RoutingContext rc, ClaimOutcome outcome) {
    HttpServerResponse response = rc.response();
    if (outcome instanceof ClaimOutcome.Assigned a) {
      if (response.closed()) {
        // The client is gone and never learned of its sandbox: release it rather than leak it.
        ClaimRequest r = ticket.request();
        api.shards()
            .get(api.router().shardOfClaim(r.claimId()))
            .send(
                new ShardCommand.ReleaseClaim(
                    r.claimId(),
                    r.tenant(),
                    ((ContextInternal) rc.vertx().getOrCreateContext()).promise()));
        return;
      }
      response.putHeader("Location", "/v1/claims/" + a.claimId());
      // The token is shown once, here; exec and files calls must present it.
      json(
          response,
          201,
          codec
              .encodeBound(ticket.request(), a, api.clock().nanoTime())
              .put("token", api.tokens().token(a.claimId())));
    } else if (outcome instanceof ClaimOutcome.Rejected r) {
      HttpErrors.rejected(response, r);
    }
  }

  private void getClaim(RoutingContext rc) {
    ShardProxy shard = claimShard(rc);
    if (shard == null) return;
    String tenant = tenantOf(rc);
    if (tenant == null) return;
    PromiseInternal<ShardCommand.ReadReply> reply = context(rc).promise();
    String id = rc.pathParam("id");
    shard.send(new ShardCommand.ReadClaim(id, tenant, reply));
    reply
        .future()
        .onComplete(
            ar -> {
              if (ar.failed()) {
                HttpErrors.write(rc.response(), 500, "internal_error", null, "internal error", 0);
                return;
              }
              switch (ar.result().status()) {
                case FOUND ->
                    json(
                        rc.response(),
                        200,
                        codec.encodeView(ar.result().view(), api.clock().nanoTime()));
                case FORBIDDEN ->
                    HttpErrors.write(
                        rc.response(),
                        403,
                        "forbidden",
                        "X-Tenant",
                        "claim " + id + " belongs to another tenant",
                        0);
                case NOT_FOUND -> HttpErrors.notFound(rc.response(), "id", "no claim " + id);
              }
            });
  }

  private void deleteClaim(RoutingContext rc) {
    ShardProxy shard = claimShard(rc);
    if (shard == null) return;
    String tenant = tenantOf(rc);
    if (tenant == null) return;
    PromiseInternal<ShardCommand.ReleaseReply> reply = context(rc).promise();
    String id = rc.pathParam("id");
    shard.send(new ShardCommand.ReleaseClaim(id, tenant, reply));
    reply
        .future()
        .onComplete(
            ar -> {
              if (ar.failed()) {
                HttpErrors.write(rc.response(), 500, "internal_error", null, "internal error", 0);
                return;
              }
              switch (ar.result()) {
                case RELEASED, CANCELLED -> rc.response().setStatusCode(204).end();
                case FORBIDDEN ->
                    HttpErrors.write(
                        rc.response(),
                        403,
                        "forbidden",
                        "X-Tenant",
                        "claim " + id + " belongs to another tenant",
                        0);
                case NOT_FOUND -> HttpErrors.notFound(rc.response(), "id", "no claim " + id);
              }
            });
  }

  private ShardProxy claimShard(RoutingContext rc) {
    String id = rc.pathParam("id");
    int k = api.router().shardOfClaim(id);
    if (k < 0) {
      HttpErrors.notFound(rc.response(), "id", "no claim " + truncate(id));
      return null;
    }
    return api.shards().get(k);
  }

  private static String tenantOf(RoutingContext rc) {
    String identity = rc.get(IDENTITY);
    if (identity != null) {
      String header = rc.request().getHeader("X-Tenant");
      if (header != null && !header.equals(identity)) {
        forbidTenant(rc.response(), "X-Tenant", identity);
        return null;
      }
      return identity;
    }
    try {
      return ClaimJsonCodec.tenant(null, rc.request().getHeader("X-Tenant"));
    } catch (BadRequestException e) {
      HttpErrors.badRequest(rc.response(), e);
      return null;
    }
  }

  // ---------------------------------------------------------------- identity

  /** Routing-context key of the authenticated tenant (absent when auth is off). */
  static final String IDENTITY = "agentsandbox.identity.tenant";

  /**
   * First handler of every {@code /v1} claim and pool route: 401 unless a valid API token is
   * presented.
   */
  private void authenticate(RoutingContext rc) {
    if (!auth.enabled()) {
      rc.next();
      return;
    }
    identify(
        rc,
        tenant -> {
          rc.put(IDENTITY, tenant);
          rc.next();
        });
  }

  /**
   * Runs {@code then} at once, or once the caller is identified when the path needs an API token.
   */
  private void afterIdentity(RoutingContext rc, Runnable then) {
    if (needsApiToken(rc)) identify(rc, tenant -> then.run());
    else then.run();
  }

  /**
   * True for paths the API token guards when auth is on: {@code /v1/**} except the sandbox routes
   * (claim tokens).
   */
  private boolean needsApiToken(RoutingContext rc) {
    String path = rc.request().path();
    return auth.enabled()
        && path != null
        && path.startsWith("/v1/")
        && !path.startsWith("/v1/sandboxes/");
  }

  /**
   * Calls {@code then} with the tenant of the request's API token, on the request's event loop;
   * else writes {@code 401} with {@code WWW-Authenticate} ({@code 503} + {@code Retry-After} when
   * the token could not be checked because the Kubernetes API server did not answer). Tokens from
   * the file are checked at once; others go to the {@link TokenVerifier} when there is one.
   */
  private void identify(RoutingContext rc, java.util.function.Consumer<String> then) {
    String header = rc.request().getHeader("Authorization");
    HttpServerResponse response = rc.response();
    if (header == null || header.length() < 8 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
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
      invalidToken(response, "invalid API token");
      return;
    }
    ContextInternal ctx = context(rc);
    // The body must wait for the BodyHandler after us (it resumes the request); without the pause
    // it
    // would arrive while the token is being checked and be lost.
    rc.request().pause();
    remote
        .verify(token)
        .whenComplete(
            (verdict, failure) ->
                ctx.runOnContext(
                    v -> {
                      if (response.ended() || response.closed()) return;
                      if (failure != null) {
                        HttpErrors.write(
                            response,
                            503,
                            "auth_unavailable",
                            "Authorization",
                            "the API token could not be checked: "
                                + rootMessage(failure)
                                + "; retry",
                            1_000);
                      } else if (verdict.isAuthenticated()) {
                        then.accept(verdict.tenant());
                      } else {
                        invalidToken(response, verdict.reason());
                      }
                    }));
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

  private static void forbidTenant(HttpServerResponse response, String field, String identity) {
    HttpErrors.write(
        response,
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

  // ---------------------------------------------------------------- pools

  private void getPools(RoutingContext rc) {
    List<Future<List<PoolSnapshot>>> replies = new ArrayList<>();
    for (ShardProxy shard : api.shards()) {
      PromiseInternal<List<PoolSnapshot>> p = context(rc).promise();
      shard.send(new ShardCommand.ReadPools(p));
      replies.add(p.future());
    }
    Future.all(replies)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                HttpErrors.write(rc.response(), 500, "internal_error", null, "internal error", 0);
                return;
              }
              List<PoolSnapshot> all = new ArrayList<>();
              for (Future<List<PoolSnapshot>> f : replies) all.addAll(f.result());
              all.sort(
                  Comparator.comparing((PoolSnapshot p) -> p.spec().key().namespace())
                      .thenComparing(p -> p.spec().key().name()));
              JsonArray pools = new JsonArray();
              for (PoolSnapshot p : all) pools.add(encodePool(p));
              json(rc.response(), 200, new JsonObject().put("pools", pools));
            });
  }

  private void getPool(RoutingContext rc) {
    PoolKey key;
    try {
      key = new PoolKey(rc.pathParam("namespace"), rc.pathParam("name"));
    } catch (IllegalArgumentException e) {
      HttpErrors.notFound(rc.response(), "pool", "no warm pool");
      return;
    }
    PromiseInternal<List<PoolSnapshot>> p = context(rc).promise();
    api.shards().get(api.router().shardOf(key)).send(new ShardCommand.ReadPools(p));
    p.future()
        .onComplete(
            ar -> {
              if (ar.failed()) {
                HttpErrors.write(rc.response(), 500, "internal_error", null, "internal error", 0);
                return;
              }
              for (PoolSnapshot s : ar.result()) {
                if (s.spec().key().equals(key)) {
                  json(rc.response(), 200, encodePool(s));
                  return;
                }
              }
              HttpErrors.notFound(
                  rc.response(), "pool", "no warm pool " + truncate(key.toString()));
            });
  }

  /**
   * A pool as JSON, with condition {@code RuntimeClassUnavailable} when the backend cannot run it.
   */
  private JsonObject encodePool(PoolSnapshot p) {
    JsonObject o = ClaimJsonCodec.encodePool(p);
    String unavailable = api.unavailable().apply(p.spec().runtimeClass());
    JsonArray conditions = new JsonArray();
    if (unavailable != null) {
      conditions.add(
          new JsonObject()
              .put("type", "Ready")
              .put("status", "False")
              .put("reason", "RuntimeClassUnavailable")
              .put("message", unavailable));
    }
    return o.put("conditions", conditions);
  }

  private void readyz(RoutingContext rc) {
    if (api.ready().getAsBoolean())
      json(rc.response(), 200, new JsonObject().put("status", "ready"));
    else
      HttpErrors.write(
          rc.response(), 503, "not_ready", null, "the scheduler is starting or stopping", 1_000);
  }

  // ---------------------------------------------------------------- helpers

  /** {@code application/json}, with or without parameters such as {@code ; charset=utf-8}. */
  static boolean isJson(String contentType) {
    int semi = contentType.indexOf(';');
    String mediaType = (semi < 0 ? contentType : contentType.substring(0, semi)).trim();
    return mediaType.equalsIgnoreCase("application/json");
  }

  private static ContextInternal context(RoutingContext rc) {
    return (ContextInternal) rc.vertx().getOrCreateContext();
  }

  private static void json(HttpServerResponse response, int status, JsonObject body) {
    if (response.ended() || response.closed()) return;
    response
        .setStatusCode(status)
        .putHeader("content-type", "application/json")
        .end(body.toBuffer());
  }

  private static String truncate(String s) {
    if (s == null) return "";
    String clean = s.replaceAll("[^\\x20-\\x7e]", "?");
    return clean.length() > 80 ? clean.substring(0, 80) + "..." : clean;
  }
}
