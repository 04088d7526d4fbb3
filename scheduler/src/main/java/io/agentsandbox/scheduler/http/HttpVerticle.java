package io.agentsandbox.scheduler.http;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;

/** One instance of the HTTP claim API; several share the port, one per event loop. */
public final class HttpVerticle extends VerticleBase {

  /** Connections idle this long are closed, so slow or stuck clients do not hold a loop's sockets. */
  static final int IDLE_TIMEOUT_SECONDS = 60;

  private final ApiContext api;
  private HttpServer server;

  public HttpVerticle(ApiContext api) {
    this.api = api;
  }

  @Override
  public Future<?> start() {
    HttpServerOptions options = new HttpServerOptions()
        .setHost(api.config().host())
        .setPort(api.config().port())
        .setIdleTimeout(IDLE_TIMEOUT_SECONDS)
        .setMaxHeaderSize(16 * 1024)
        .setMaxInitialLineLength(8 * 1024)
        .setTcpNoDelay(true);
    server = vertx.createHttpServer(options).requestHandler(new ClaimRoutes(api).router(vertx));
    return server.listen();
  }
}
