package io.agentsandbox.scheduler.http;

import io.agentsandbox.core.logging.TraceParent;
import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.ClaimRequest;
import io.agentsandbox.core.model.RejectReason;
import io.agentsandbox.scheduler.logging.AuditLog;
import io.agentsandbox.scheduler.logging.ClaimLog;
import io.agentsandbox.scheduler.shard.ShardCommand;
import io.agentsandbox.scheduler.shard.ShardProxy;
import io.agentsandbox.scheduler.shard.ShardRouter;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.PromiseInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.SecurityPolicyHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.io.IOException;
import java.io.InputStream;
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
  private final ShardRouter.IdBytes idBytes = ShardRouter.IdBytes.create();
  private final Buffer openApi;
  private final ApiIdentity identity;
  private final PoolRoutes pools;

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
    this.identity = new ApiIdentity(auth);
    this.pools = new PoolRoutes(api);
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
    SecurityPolicyHandler authenticate = identity::authenticate;
    // Authentication runs first, so an unauthenticated body is never buffered. The sandbox routes
    // authenticate with the claim's own token instead (SandboxRoutes).
    router
        .post("/v1/claims")
        .handler(authenticate)
        .handler(BodyHandler.create(false).setBodyLimit(api.config().maxBodyBytes()))
        .handler(this::requireReady)
        .handler(this::postClaim);
    router
        .get("/v1/claims/:id")
        .handler(authenticate)
        .handler(this::requireReady)
        .handler(this::getClaim);
    router
        .delete("/v1/claims/:id")
        .handler(authenticate)
        .handler(this::requireReady)
        .handler(this::deleteClaim);
    router
        .get("/v1/pools")
        .handler(authenticate)
        .handler(this::requireReady)
        .handler(pools::getPools);
    router
        .get("/v1/pools/:namespace/:name")
        .handler(authenticate)
        .handler(this::requireReady)
        .handler(pools::getPool);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(api.registry()));
    router
        .get("/healthz")
        .handler(
            rc -> HttpResponses.json(rc.response(), 200, new JsonObject().put("status", "ok")));
    router.get("/readyz").handler(pools::readyz);
    router
        .get("/openapi.yaml")
        .handler(rc -> rc.response().putHeader("content-type", "application/yaml").end(openApi));
    new SandboxRoutes(api).register(router);
    router.errorHandler(
        404,
        rc ->
            identity.afterIdentity(
                rc,
                () -> { // no route details for strangers
                  if (FileRoutes.isTraversal(rc.request().path())) {
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
            identity.afterIdentity(
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

  /**
   * A replica that does not serve (starting, stopping, or a standby without the Lease) answers 503
   * with a retry hint: it holds no pools or claims, so a 404 would lie about a claim or pool that
   * the leader has.
   */
  private void requireReady(RoutingContext rc) {
    if (ready(rc.response())) rc.next();
  }

  /** True when this replica serves; else answers {@code 503 not_ready} and returns false. */
  boolean ready(HttpServerResponse response) {
    if (api.ready().getAsBoolean()) {
      return true;
    } else {
      HttpErrors.write(
          response,
          503,
          "not_ready",
          null,
          "this replica is not serving (starting, stopping, or standing by for the leader's Lease);"
              + " retry",
          1_000);
      return false;
    }
  }

  /** The edge that serves the hot routes without the router, sharing this instance. */
  ClaimEdge edge() {
    return new ClaimEdge(this, identity, api.config().maxBodyBytes());
  }

  private void postClaim(RoutingContext rc) {
    submitClaim(rc.request(), rc.body().buffer(), rc.get(ApiIdentity.IDENTITY));
  }

  /**
   * Decodes a claim and submits it to its pool's shard: errors are answered here, the outcome
   * through the ticket ({@link #respond}). {@code identity} is the API token's tenant, null when
   * auth is off. HTTP loop.
   */
  void submitClaim(HttpServerRequest req, Buffer body, String identity) {
    HttpServerResponse response = req.response();
    String contentType = req.getHeader("content-type");
    if (contentType != null && !HttpResponses.isJson(contentType)) {
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
      String headerTenant = req.getHeader("X-Tenant");
      if (identity != null) {
        // The tenant is the API token's: a header or body naming another one is refused, not
        // obeyed.
        if (headerTenant != null && !headerTenant.equals(identity)) {
          ApiIdentity.forbidTenant(req, "X-Tenant", identity);
          return;
        }
        headerTenant = identity;
      }
      ClaimRequest decoded;
      try {
        decoded = codec.decodeClaim(body, headerTenant, "pending", now);
      } catch (BadRequestException.TenantMismatch e) {
        if (identity == null) throw e;
        ApiIdentity.forbidTenant(req, "tenant", identity);
        return;
      }
      int k = api.router().shardOf(decoded.pool());
      shard = api.shards().get(k);
      claimId = api.router().newClaimId(k, idBytes);
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
      ClaimLog.rejected(
          request,
          TraceParent.traceId(req.getHeader("traceparent")),
          new ClaimOutcome.Rejected(RejectReason.RUNTIME_CLASS_UNAVAILABLE, unavailable, 0),
          -1,
          now);
      HttpErrors.write(
          response,
          RejectReason.RUNTIME_CLASS_UNAVAILABLE.httpStatus(),
          RejectReason.RUNTIME_CLASS_UNAVAILABLE.code(),
          "pool",
          "RuntimeClassUnavailable: pool " + request.pool() + ": " + unavailable,
          0);
      return;
    }
    HttpClaimTicket ticket = new HttpClaimTicket(request, req, ContextInternal.current(), this);
    if (!shard.submitClaim(ticket)) {
      ClaimLog.rejected(
          request,
          ticket.traceId(),
          new ClaimOutcome.Rejected(
              RejectReason.QUEUE_FULL, "scheduler shard " + shard.index() + " is at capacity", 0),
          shard.index(),
          now);
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
  void respond(HttpClaimTicket ticket, HttpServerRequest req, ClaimOutcome outcome) {
    HttpServerResponse response = req.response();
    if (outcome instanceof ClaimOutcome.Assigned a) {
      if (response.closed()) {
        // The client is gone and never learned of its sandbox: release it rather than leak it.
        ClaimRequest r = ticket.request();
        api.shards()
            .get(api.router().shardOfClaim(r.claimId()))
            .send(
                new ShardCommand.ReleaseClaim(
                    r.claimId(), r.tenant(), ContextInternal.current().promise()));
        return;
      }
      if (response.ended()) return; // answered meanwhile (408)
      // The token is shown once, here; exec and files calls must present it.
      response
          .setStatusCode(201)
          .putHeader(HttpHeaders.CONTENT_TYPE, HttpResponses.APPLICATION_JSON)
          .putHeader(HttpHeaders.LOCATION, "/v1/claims/" + a.claimId())
          .end(
              codec.encodeBoundBody(
                  ticket.request(), a, api.clock().nanoTime(), api.tokens().token(a.claimId())));
    } else if (outcome instanceof ClaimOutcome.Rejected r) {
      HttpErrors.rejected(response, r);
    }
  }

  private void getClaim(RoutingContext rc) {
    readClaim(rc.request(), rc.pathParam("id"), rc.get(ApiIdentity.IDENTITY));
  }

  /** {@code GET /v1/claims/{id}} for the caller's tenant. HTTP loop. */
  void readClaim(HttpServerRequest req, String id, String identity) {
    this.<ShardCommand.ReadReply>askClaimShard(
        req,
        id,
        identity,
        ShardCommand.ReadClaim::new,
        reply -> {
          switch (reply.status()) {
            case FOUND ->
                HttpResponses.json(
                    req.response(), 200, codec.encodeView(reply.view(), api.clock().nanoTime()));
            case FORBIDDEN -> otherTenant(req, id);
            case NOT_FOUND -> HttpErrors.notFound(req.response(), "id", "no claim " + id);
          }
        });
  }

  private void deleteClaim(RoutingContext rc) {
    releaseClaim(rc.request(), rc.pathParam("id"), rc.get(ApiIdentity.IDENTITY));
  }

  /** {@code DELETE /v1/claims/{id}} for the caller's tenant. HTTP loop. */
  void releaseClaim(HttpServerRequest req, String id, String identity) {
    this.<ShardCommand.ReleaseReply>askClaimShard(
        req,
        id,
        identity,
        ShardCommand.ReleaseClaim::new,
        reply -> {
          switch (reply) {
            case RELEASED, CANCELLED -> req.response().setStatusCode(204).end();
            case FORBIDDEN -> otherTenant(req, id);
            case NOT_FOUND -> HttpErrors.notFound(req.response(), "id", "no claim " + id);
          }
        });
  }

  /** A command on one claim, for its tenant, answered through {@code reply}. */
  private interface ClaimCommand<R> {
    ShardCommand of(String claimId, String tenant, Promise<R> reply);
  }

  /**
   * Sends a command on claim {@code id} to the shard that owns it, as the caller's tenant, and
   * hands the reply to {@code answer} (a failed reply is a 500). An unknown claim id or a missing
   * tenant is answered here.
   */
  private <R> void askClaimShard(
      HttpServerRequest req,
      String id,
      String identity,
      ClaimCommand<R> command,
      java.util.function.Consumer<R> answer) {
    int k = api.router().shardOfClaim(id);
    if (k < 0) {
      HttpErrors.notFound(req.response(), "id", "no claim " + HttpResponses.truncate(id));
      return;
    }
    ShardProxy shard = api.shards().get(k);
    String tenant = tenantOf(req, identity);
    if (tenant == null) return;
    PromiseInternal<R> reply = ContextInternal.current().promise();
    shard.send(command.of(id, tenant, reply));
    reply
        .future()
        .onComplete(
            ar -> {
              if (ar.failed()) {
                HttpErrors.write(req.response(), 500, "internal_error", null, "internal error", 0);
                return;
              }
              answer.accept(ar.result());
            });
  }

  private static void otherTenant(HttpServerRequest req, String claimId) {
    AuditLog.denied(req, 403, "claim belongs to another tenant", null);
    HttpErrors.write(
        req.response(),
        403,
        "forbidden",
        "X-Tenant",
        "claim " + claimId + " belongs to another tenant",
        0);
  }

  private static String tenantOf(HttpServerRequest req, String identity) {
    if (identity != null) {
      String header = req.getHeader("X-Tenant");
      if (header != null && !header.equals(identity)) {
        ApiIdentity.forbidTenant(req, "X-Tenant", identity);
        return null;
      }
      return identity;
    }
    try {
      return ClaimJsonCodec.tenant(null, req.getHeader("X-Tenant"));
    } catch (BadRequestException e) {
      HttpErrors.badRequest(req.response(), e);
      return null;
    }
  }
}
