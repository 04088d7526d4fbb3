package io.agentsandbox.scheduler.http;

import io.agentsandbox.core.model.ClaimOutcome;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * The one place that writes error responses: {@code {"error": {"status", "code", "field",
 * "message"}}}, with {@code Retry-After} for back-pressure. Never writes a stack trace.
 */
public final class HttpErrors {
  private HttpErrors() {}

  /** Writes an error unless the response has already been written or the connection is gone. */
  public static io.vertx.core.Future<Void> write(
      HttpServerResponse response,
      int status,
      String code,
      String field,
      String message,
      long retryAfterMs) {
    if (response.ended() || response.closed()) return io.vertx.core.Future.succeededFuture();
    JsonObject error = new JsonObject().put("status", status).put("code", code);
    if (field != null) error.put("field", field);
    error.put("message", message);
    response.setStatusCode(status).putHeader("content-type", "application/json");
    if (retryAfterMs > 0)
      response.putHeader("Retry-After", Long.toString(Math.max(1, (retryAfterMs + 999) / 1000)));
    return response.end(new JsonObject().put("error", error).toBuffer());
  }

  /**
   * Answers with an error and closes the connection once the answer is on the wire: for requests
   * the server will not read further (malformed HTTP, a body that did not arrive in time).
   */
  static void writeAndClose(
      io.vertx.core.http.HttpServerRequest request,
      int status,
      String code,
      String field,
      String message) {
    HttpServerResponse response = request.response();
    if (response.ended() || response.closed()) {
      request.connection().close();
      return;
    }
    JsonObject error = new JsonObject().put("status", status).put("code", code);
    if (field != null) error.put("field", field);
    error.put("message", message);
    response
        .setStatusCode(status)
        .putHeader("content-type", "application/json")
        .putHeader("Connection", "close")
        .end(new JsonObject().put("error", error).toBuffer())
        .onComplete(ar -> request.connection().close());
  }

  static void badRequest(HttpServerResponse response, BadRequestException e) {
    write(response, 400, "invalid_field", e.field(), e.getMessage(), 0);
  }

  static void rejected(HttpServerResponse response, ClaimOutcome.Rejected r) {
    int status = r.reason().httpStatus();
    long retry = r.retryAfterMs();
    if ((status == 429 || status == 503) && retry <= 0) retry = 1_000;
    write(
        response,
        status,
        r.reason().code(),
        r.reason() == io.agentsandbox.core.model.RejectReason.UNKNOWN_POOL ? "pool" : null,
        r.message(),
        retry);
  }

  static void notFound(HttpServerResponse response, String field, String message) {
    write(response, 404, "not_found", field, message, 0);
  }
}
