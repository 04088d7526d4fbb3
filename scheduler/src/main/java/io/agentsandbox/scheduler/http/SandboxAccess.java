package io.agentsandbox.scheduler.http;

import io.agentsandbox.core.model.ExecRequest;
import io.agentsandbox.core.model.ExecResult;
import io.agentsandbox.core.model.SandboxRef;
import io.agentsandbox.core.port.SandboxExecutor.ExecException;
import io.agentsandbox.scheduler.logging.AuditLog;
import io.agentsandbox.scheduler.shard.ShardCommand;
import io.agentsandbox.scheduler.shard.ShardProxy;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.PromiseInternal;
import io.vertx.ext.web.RoutingContext;
import java.util.function.BiConsumer;

/**
 * The way into a claimed sandbox for exec and files: the bearer token names its claim (checked in
 * constant time) → the claim's shard says which sandbox is bound ({@link
 * ShardCommand.FindClaimSandbox}, reply hop back here) → the command runs on the backend's exec
 * workers → the result hops back to this loop. One instance per HTTP verticle; used only on its
 * event loop.
 */
final class SandboxAccess {

  private final ApiContext api;

  SandboxAccess(ApiContext api) {
    this.api = api;
  }

  /**
   * Checks the token, finds the claim's sandbox on its shard, then calls {@code then} on this loop.
   */
  void withSandbox(RoutingContext rc, BiConsumer<SandboxRef, ContextInternal> then) {
    HttpServerResponse response = rc.response();
    String auth = rc.request().getHeader("Authorization");
    if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
      AuditLog.denied(rc.request(), 401, "no claim token", null);
      response.putHeader("WWW-Authenticate", "Bearer");
      HttpErrors.write(
          response,
          401,
          "unauthorized",
          "Authorization",
          "the claim's token is required: Authorization: Bearer <token from the 201 of POST /v1/claims>",
          0);
      return;
    }
    String token = auth.substring(7).trim();
    String claimId = api.tokens().verify(token);
    int k = claimId == null ? -1 : api.router().shardOfClaim(claimId);
    if (k < 0 || k >= api.shards().size()) {
      AuditLog.denied(rc.request(), 401, "invalid claim token", token);
      response.putHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      HttpErrors.write(response, 401, "unauthorized", "Authorization", "invalid token", 0);
      return;
    }
    String id = rc.pathParam("id");
    ContextInternal ctx = (ContextInternal) rc.vertx().getOrCreateContext();
    PromiseInternal<ShardCommand.SandboxLookup> reply = ctx.promise();
    ShardProxy shard = api.shards().get(k);
    shard.send(new ShardCommand.FindClaimSandbox(claimId, reply));
    reply
        .future()
        .onComplete(
            ar -> {
              if (ar.failed()) {
                HttpErrors.write(response, 500, "internal_error", null, "internal error", 0);
                return;
              }
              ShardCommand.SandboxLookup lookup = ar.result();
              switch (lookup.status()) {
                case NOT_FOUND ->
                    HttpErrors.write(
                        response,
                        404,
                        "not_found",
                        "id",
                        "the token's claim " + claimId + " no longer exists (released or expired)",
                        0);
                case GONE ->
                    HttpErrors.write(
                        response,
                        410,
                        "sandbox_gone",
                        "id",
                        "the sandbox of claim " + claimId + " died: " + lookup.goneReason(),
                        0);
                case PENDING ->
                    HttpErrors.write(
                        response,
                        409,
                        "claim_pending",
                        "id",
                        "claim " + claimId + " is still waiting for a sandbox",
                        0);
                case BOUND -> {
                  SandboxRef sandbox = lookup.sandbox();
                  if (!sandbox.name().equals(id) && !claimId.equals(id)) {
                    AuditLog.denied(
                        rc.request(),
                        403,
                        "claim token of another sandbox (" + sandbox.name() + ")",
                        token);
                    HttpErrors.write(
                        response,
                        403,
                        "forbidden",
                        "Authorization",
                        "the token belongs to another claim's sandbox, not "
                            + HttpResponses.truncate(id),
                        0);
                  } else if (api.executor() == null || "simulated".equals(sandbox.backend())) {
                    HttpErrors.write(
                        response,
                        501,
                        "simulated_sandbox",
                        null,
                        "sandbox "
                            + sandbox.name()
                            + " is SIMULATED (backend "
                            + sandbox.backend()
                            + "): there is nothing to exec into; start the server with --backend local",
                        0);
                  } else {
                    rc.put(CLAIM_ID, claimId);
                    then.accept(sandbox, ctx);
                  }
                }
              }
            });
  }

  /**
   * Says how an exec or file operation reached the sandbox: {@code agent} (its in-sandbox agent) or
   * {@code runtime} (the previous path, for sandboxes without an agent).
   */
  static final String EXEC_PATH_HEADER = "X-Exec-Path";

  /** Routing-context key of the claim whose token let the call in (set before {@code then}). */
  static final String CLAIM_ID = "agentsandbox.claim";

  /**
   * Runs {@code request} in the sandbox and hands the result to {@code onResult} on this loop;
   * {@code audit} sees every end first: the result, or the failure (result null).
   */
  void run(
      RoutingContext rc,
      ContextInternal ctx,
      SandboxRef sandbox,
      ExecRequest request,
      BiConsumer<ExecResult, Throwable> audit,
      java.util.function.Consumer<ExecResult> onResult) {
    Future.fromCompletionStage(api.executor().exec(sandbox, request), ctx)
        .onComplete(
            ar -> {
              audit.accept(ar.result(), ar.cause());
              if (ar.succeeded()) {
                String path = ar.result().path();
                if (path != null && !rc.response().headWritten()) {
                  rc.response().putHeader(EXEC_PATH_HEADER, path);
                }
                onResult.accept(ar.result());
                return;
              }
              failExec(rc, ar.cause());
            });
  }

  /** Answers an exec that could not run. HTTP loop. */
  static void failExec(RoutingContext rc, Throwable cause) {
    Throwable t = cause;
    if (t instanceof java.util.concurrent.CompletionException && t.getCause() != null)
      t = t.getCause();
    if (t instanceof ExecException e) {
      switch (e.kind()) {
        case GONE -> HttpErrors.write(rc.response(), 410, "sandbox_gone", "id", e.getMessage(), 0);
        case BUSY -> HttpErrors.write(rc.response(), 503, "exec_busy", null, e.getMessage(), 1_000);
        case RUNTIME_ERROR ->
            HttpErrors.write(rc.response(), 502, "runtime_error", null, e.getMessage(), 0);
      }
    } else {
      HttpErrors.write(rc.response(), 500, "internal_error", null, "internal error", 0);
    }
  }
}
