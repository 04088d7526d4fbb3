package io.agentsandbox.scheduler.http;

import io.agentsandbox.core.logging.TraceParent;
import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.ClaimRequest;
import io.agentsandbox.core.model.ClaimTicket;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.ContextInternal;

/**
 * A claim that came over HTTP. Built on an HTTP event loop; owned by the shard from submission to
 * {@link #complete}; the outcome then hops back to the HTTP loop (a non-capturing {@code execute}
 * with this ticket as the handler), which writes the response.
 */
final class HttpClaimTicket extends ClaimTicket implements Handler<ClaimOutcome> {

  private final HttpServerRequest httpRequest;
  private final ContextInternal httpContext;
  private final ClaimRoutes routes;
  private final String traceId;

  HttpClaimTicket(
      ClaimRequest request,
      HttpServerRequest httpRequest,
      ContextInternal httpContext,
      ClaimRoutes routes) {
    super(request);
    this.httpRequest = httpRequest;
    this.httpContext = httpContext;
    this.routes = routes;
    this.traceId = TraceParent.traceId(httpRequest.getHeader("traceparent"));
  }

  @Override
  public String traceId() {
    return traceId;
  }

  @Override
  protected void onComplete(ClaimOutcome outcome) {
    // Shard loop: hop back to the requester's loop; runs at once if that is this thread.
    httpContext.execute(outcome, this);
  }

  /** HTTP loop: write the response. */
  @Override
  public void handle(ClaimOutcome outcome) {
    routes.respond(this, httpRequest, outcome);
  }
}
