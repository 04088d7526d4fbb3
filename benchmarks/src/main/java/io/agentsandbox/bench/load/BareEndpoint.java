package io.agentsandbox.bench.load;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;

/**
 * The baseline: a bare Vert.x HTTP server (no router, no body parsing, no shard) on the loopback
 * that answers {@code POST} with {@code 201}, a {@code Location} and a fixed JSON body the size and
 * shape of a real claim response, and {@code DELETE} with {@code 204}. Same number of verticle
 * instances as the claim server's HTTP verticles. Start once, close once; any thread.
 */
public final class BareEndpoint implements AutoCloseable {

  /** What the claim API answers to a bound claim, frozen. */
  static final Buffer CLAIM_BODY =
      Buffer.buffer(
          new JsonObject()
              .put("claimId", "cl-0-aaaaaaaaaaaaaaaaaaaa")
              .put("status", "Bound")
              .put("pool", new JsonObject().put("namespace", "default").put("name", "bench-0"))
              .put("tenant", "load-0")
              .put("priority", 0)
              .put("onEmpty", "wait")
              .put("waitMs", 10000)
              .put("ttlSeconds", 3600)
              .put(
                  "sandbox",
                  new JsonObject()
                      .put("name", "bench-0-x7k2p")
                      .put("namespace", "default")
                      .put("podIPs", new JsonArray().add("198.51.100.7"))
                      .put("runtimeClassName", "gvisor")
                      .put("backend", "simulated")
                      .put("simulated", true))
              .put("launchType", "warm")
              .put("waitedMs", 0.05)
              .put("expiresAt", "2030-01-01T00:00:00Z")
              .encode());

  static final String LOCATION = "/v1/claims/cl-0-aaaaaaaaaaaaaaaaaaaa";

  private final Vertx vertx;
  private final int port;

  private BareEndpoint(Vertx vertx, int port) {
    this.vertx = vertx;
    this.port = port;
  }

  /** One instance of the bare server. */
  static final class BareVerticle extends VerticleBase {
    private final String host;
    private final int port;

    BareVerticle(String host, int port) {
      this.host = host;
      this.port = port;
    }

    @Override
    public Future<?> start() {
      return vertx
          .createHttpServer(new HttpServerOptions().setHost(host).setPort(port).setTcpNoDelay(true))
          .requestHandler(
              req -> {
                if (req.method() == HttpMethod.DELETE) {
                  req.response().setStatusCode(204).end();
                } else {
                  // Reads the body, as the claim API must, then answers.
                  req.body()
                      .onSuccess(
                          body ->
                              req.response()
                                  .setStatusCode(201)
                                  .putHeader("content-type", "application/json")
                                  .putHeader("Location", LOCATION)
                                  .end(CLAIM_BODY));
                }
              })
          .listen();
    }
  }

  /**
   * Runs the bare endpoint in a process of its own, for load tools outside the JVM ({@code
   * benchmarks/http-vs-bare.sh}): {@code BareEndpoint <instances> [port]} prints {@code PORT <n>}
   * once listening and stops when its standard input closes.
   */
  public static void main(String[] args) throws Exception {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: BareEndpoint <verticle instances> [port, 0 = free]");
      System.exit(2);
    }
    try (BareEndpoint bare =
        start(Integer.parseInt(args[0]), args.length > 1 ? Integer.parseInt(args[1]) : 0)) {
      System.out.println("PORT " + bare.port());
      System.out.flush();
      while (System.in.read() >= 0) {
        // until EOF
      }
    }
  }

  /**
   * Starts on 127.0.0.1 with {@code instances} verticles on a free port. Blocks until listening.
   */
  public static BareEndpoint start(int instances) throws Exception {
    return start(instances, 0);
  }

  private static BareEndpoint start(int instances, int wantedPort) throws Exception {
    Vertx vertx = Vertx.vertx();
    int port = wantedPort == 0 ? freePort() : wantedPort;
    try {
      vertx
          .deployVerticle(
              () -> new BareVerticle("127.0.0.1", port),
              new DeploymentOptions().setInstances(instances))
          .toCompletionStage()
          .toCompletableFuture()
          .get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      vertx.close();
      throw e;
    }
    return new BareEndpoint(vertx, port);
  }

  private static int freePort() throws java.io.IOException {
    try (java.net.ServerSocket s =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  public int port() {
    return port;
  }

  @Override
  public void close() throws Exception {
    Promise<Void> done = Promise.promise();
    vertx.close().onComplete(done);
    done.future().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
