package io.agentsandbox.scheduler.http;

import io.agentsandbox.scheduler.SecurityConfig;
import io.agentsandbox.scheduler.logging.AuditLog;
import io.agentsandbox.scheduler.metrics.ResponseCounts;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.ServerSSLOptions;
import io.vertx.ext.web.Router;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One instance of the HTTP claim API; several share the port, one per event loop. Owned by its
 * event loop; not thread-safe. Slow clients: Vert.x closes a connection after {@code
 * --idle-timeout-seconds} without a complete request or answer (a request head trickled byte by
 * byte is cut then; measured in HostileInputIT), and a request whose body has not arrived within
 * {@code --request-read-timeout-ms} of its head gets {@code 408} and its connection is closed (one
 * timer per request, no thread held). TLS files are re-read on a worker when they change and
 * swapped in with {@link HttpServer#updateSSLOptions}.
 */
public final class HttpVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(HttpVerticle.class);

  private final ApiContext api;
  private final SecurityConfig security;
  private final ApiAuth auth;
  private HttpServer server;
  private io.agentsandbox.scheduler.router.SandboxRouter sandboxRouter;
  // Event loop only
  private String tlsStamp;

  public HttpVerticle(ApiContext api) {
    this(api, SecurityConfig.DEFAULTS, ApiAuth.none());
  }

  public HttpVerticle(ApiContext api, SecurityConfig security, ApiAuth auth) {
    this.api = api;
    this.security = security;
    this.auth = auth;
  }

  @Override
  public Future<?> start() {
    HttpServerOptions options =
        new HttpServerOptions()
            .setHost(api.config().host())
            .setPort(api.config().port())
            .setIdleTimeout(security.idleTimeoutSeconds())
            .setMaxHeaderSize(16 * 1024)
            .setMaxInitialLineLength(8 * 1024)
            .setTcpNoDelay(true);
    Future<Void> tls = Future.succeededFuture();
    if (security.tlsEnabled()) {
      options.setSsl(true);
      tls =
          vertx
              .executeBlocking(this::readTls)
              .map(
                  pem -> {
                    options.setKeyCertOptions(pem.options());
                    tlsStamp = pem.stamp();
                    return null;
                  });
    }
    ClaimRoutes routes = new ClaimRoutes(api, auth);
    Router router = routes.router(vertx);
    ClaimEdge edge = routes.edge();
    sandboxRouter =
        new io.agentsandbox.scheduler.router.SandboxRouter(
            vertx, api.shards(), api.agentLocator(), auth, api.tokens());
    long readTimeoutMs = security.requestReadTimeoutMs();
    ResponseCounts responses = new ResponseCounts(api.registry());
    return tls.compose(
            v -> {
              server =
                  vertx
                      .createHttpServer(options)
                      .invalidRequestHandler(HttpVerticle::onInvalidRequest)
                      // No WebSockets here. Setting this handler also makes Vert.x pass requests of
                      // an unknown
                      // HTTP version to onRequest (JSON 400) instead of answering a bare 501
                      // itself.
                      .webSocketHandshakeHandler(handshake -> handshake.reject(400))
                      .requestHandler(
                          req -> {
                            HttpServerResponse response = req.response();
                            response.endHandler(x -> responses.count(response.getStatusCode()));
                            onRequest(req, edge, router, readTimeoutMs);
                          });
              return server.listen();
            })
        .onSuccess(
            s -> {
              if (security.tlsEnabled())
                vertx.setPeriodic(security.reloadIntervalMs(), id -> checkTls());
            });
  }

  /**
   * The head has arrived; the body must follow in time (the answer itself may take as long as it
   * takes).
   */
  private void onRequest(HttpServerRequest req, ClaimEdge edge, Router router, long readTimeoutMs) {
    if (req.version() == null) {
      // HTTP/x.y other than 1.0/1.1 parses but has no version here; answered as malformed, not 501.
      HttpErrors.writeAndClose(
          req, 400, "unsupported_http_version", null, "only HTTP/1.0 and HTTP/1.1 are served");
      return;
    }
    if (io.agentsandbox.scheduler.router.SandboxRouter.isRouted(req)) {
      sandboxRouter.handle(req); // its own exchange timeout covers a slow body
      return;
    }
    if (!req.isEnded()) {
      long bodyTimer =
          vertx.setTimer(
              readTimeoutMs,
              id -> {
                if (!req.isEnded()) {
                  HttpErrors.writeAndClose(
                      req,
                      408,
                      "request_timeout",
                      "body",
                      "the request body did not arrive within " + readTimeoutMs + " ms");
                }
              });
      req.end().onComplete(ar -> vertx.cancelTimer(bodyTimer));
      req.response().closeHandler(v -> vertx.cancelTimer(bodyTimer));
    }
    if (!edge.handle(req)) router.handle(req);
  }

  /**
   * Malformed HTTP (bad request line, header or URI too long, bad chunking): a JSON error, then the
   * connection closes.
   */
  private static void onInvalidRequest(HttpServerRequest req) {
    Throwable cause = req.decoderResult() == null ? null : req.decoderResult().cause();
    String text = cause == null || cause.getMessage() == null ? "" : cause.getMessage();
    if (cause instanceof io.netty.handler.codec.TooLongFrameException
        && text.startsWith("An HTTP line is larger than")) {
      HttpErrors.writeAndClose(
          req,
          414,
          "uri_too_long",
          "uri",
          "the request line is longer than the server accepts (8 KiB)");
    } else if (cause instanceof io.netty.handler.codec.TooLongFrameException) {
      HttpErrors.writeAndClose(
          req,
          431,
          "headers_too_large",
          "headers",
          "the request headers are larger than the server accepts (16 KiB)");
    } else {
      HttpErrors.writeAndClose(req, 400, "malformed_http", null, "malformed HTTP request");
    }
  }

  private record Pem(PemKeyCertOptions options, String stamp) {}

  /** Worker thread: reads the certificate and key (never on the event loop). */
  private Pem readTls() throws Exception {
    Path cert = security.tlsCert();
    Path key = security.tlsKey();
    String stamp = stamp(cert, key);
    PemKeyCertOptions pem =
        new PemKeyCertOptions()
            .setCertValue(Buffer.buffer(Files.readAllBytes(cert)))
            .setKeyValue(Buffer.buffer(Files.readAllBytes(key)));
    return new Pem(pem, stamp);
  }

  private static String stamp(Path cert, Path key) throws Exception {
    return Files.getLastModifiedTime(cert)
        + "/"
        + Files.size(cert)
        + "|"
        + Files.getLastModifiedTime(key)
        + "/"
        + Files.size(key);
  }

  /** Timer on this loop; the stat and read happen on a worker, the swap back here. */
  private void checkTls() {
    vertx
        .executeBlocking(
            () -> stamp(security.tlsCert(), security.tlsKey()).equals(tlsStamp) ? null : readTls())
        .onSuccess(
            pem -> {
              if (pem == null) return;
              server
                  .updateSSLOptions(new ServerSSLOptions().setKeyCertOptions(pem.options()), true)
                  .onComplete(
                      ar -> {
                        AuditLog.certificateReloaded(
                            security.tlsCert().toString(),
                            ar.succeeded(),
                            ar.succeeded() ? null : ar.cause().getMessage());
                        if (ar.succeeded()) {
                          tlsStamp = pem.stamp();
                        } else {
                          LOG.warn(
                              "TLS certificate {} changed but cannot be used ({}); keeping the previous one",
                              security.tlsCert(),
                              ar.cause().getMessage());
                          tlsStamp = pem.stamp(); // do not retry the same broken files every tick
                        }
                      });
            })
        .onFailure(
            e ->
                LOG.warn(
                    "cannot read TLS files {} / {} ({}); keeping the current certificate",
                    security.tlsCert(),
                    security.tlsKey(),
                    e.getMessage()));
  }
}
