package io.agentsandbox.scheduler.http;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Small helpers the routes share: content types, JSON answers, safe echoes. Stateless. */
final class HttpResponses {

  /** {@code application/json}, as a header value made once. */
  static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");

  private HttpResponses() {}

  /** {@code application/json}, with or without parameters such as {@code ; charset=utf-8}. */
  static boolean isJson(String contentType) {
    int semi = contentType.indexOf(';');
    String mediaType = (semi < 0 ? contentType : contentType.substring(0, semi)).trim();
    return mediaType.equalsIgnoreCase("application/json");
  }

  static ContextInternal context(RoutingContext rc) {
    return (ContextInternal) rc.vertx().getOrCreateContext();
  }

  static void json(HttpServerResponse response, int status, JsonObject body) {
    if (response.ended() || response.closed()) return;
    response
        .setStatusCode(status)
        .putHeader("content-type", "application/json")
        .end(body.toBuffer());
  }

  static String truncate(String s) {
    if (s == null) return "";
    String clean = s.replaceAll("[^\\x20-\\x7e]", "?");
    return clean.length() > 80 ? clean.substring(0, 80) + "..." : clean;
  }
}
