package io.agentsandbox.bench.load;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.codec.BodyCodec;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One run of the {@link LoadDriver}: its counters, its latency log and the claims it holds. The
 * client's event loops send, count and release; the driver's thread (the harness's main thread)
 * reads the counters and the log.
 */
final class LoadRun {
  final LoadDriver.Endpoint endpoint;
  final WebClient web;
  final Buffer[] bodies;
  final LatencyLog log;
  final AtomicLong attempted = new AtomicLong();
  final AtomicLong inFlight = new AtomicLong();
  final AtomicLong releasesInFlight = new AtomicLong();
  private final Vertx vertx;
  private final LoadDriver.Settings settings;
  private final String[] tenants;

  /** Burst: claims to release after the measurement, not during it. */
  final ConcurrentLinkedQueue<String[]> heldForLater;

  LoadRun(
      LoadDriver.Endpoint endpoint,
      WebClient web,
      Vertx vertx,
      LoadDriver.Settings settings,
      String[] tenants,
      long startNs,
      boolean releaseAfterRun) {
    this.endpoint = endpoint;
    this.web = web;
    this.vertx = vertx;
    this.settings = settings;
    this.tenants = tenants;
    this.log = new LatencyLog(startNs);
    this.heldForLater = releaseAfterRun ? new ConcurrentLinkedQueue<>() : null;
    this.bodies = new Buffer[endpoint.pools().size()];
    for (int p = 0; p < bodies.length; p++) {
      bodies[p] =
          Buffer.buffer(
              new JsonObject()
                  .put("pool", endpoint.pools().get(p))
                  .put("waitMs", settings.waitMs())
                  .put("onEmpty", "wait")
                  .put("ttlSeconds", 600)
                  .encode());
    }
  }

  /** Client loop: sends claim {@code i}, whose latency counts from {@code intendedNs}. */
  void send(long i, long intendedNs) {
    attempted.incrementAndGet();
    if (inFlight.get() >= settings.maxInFlight()) {
      log.error("not sent: " + settings.maxInFlight() + " already in flight", System.nanoTime());
      return;
    }
    inFlight.incrementAndGet();
    int p = (int) (i % bodies.length);
    String tenant = tenants[(int) ((i / bodies.length) % tenants.length)];
    web.post(endpoint.port(), endpoint.host(), "/v1/claims")
        .as(BodyCodec.none())
        .timeout(settings.requestTimeoutMs())
        .putHeader("content-type", "application/json")
        .putHeader("X-Tenant", tenant)
        .sendBuffer(bodies[p])
        .onComplete(
            ar -> {
              long now = System.nanoTime();
              try {
                if (ar.succeeded()) {
                  HttpResponse<Void> r = ar.result();
                  if (r.statusCode() == 201) {
                    log.ok(now - intendedNs, now);
                    String location = r.getHeader("Location");
                    if (heldForLater != null) heldForLater.add(new String[] {location, tenant});
                    else release(location, tenant, settings.holdMs());
                  } else {
                    log.error("HTTP " + r.statusCode(), now);
                  }
                } else {
                  log.error(errorKind(ar.cause()), now);
                }
              } finally {
                inFlight.decrementAndGet();
              }
            });
  }

  /** Client loop: releases a claim after {@code holdMs}. */
  void release(String location, String tenant, long holdMs) {
    if (location == null) {
      log.releaseError();
      return;
    }
    releasesInFlight.incrementAndGet();
    if (holdMs > 0) vertx.setTimer(holdMs, id -> doRelease(location, tenant));
    else doRelease(location, tenant);
  }

  private void doRelease(String location, String tenant) {
    web.delete(endpoint.port(), endpoint.host(), location)
        .as(BodyCodec.none())
        .timeout(settings.requestTimeoutMs())
        .putHeader("X-Tenant", tenant)
        .send()
        .onComplete(
            ar -> {
              if (ar.failed() || ar.result().statusCode() != 204) log.releaseError();
              releasesInFlight.decrementAndGet();
            });
  }

  static String errorKind(Throwable t) {
    if (t instanceof TimeoutException || t instanceof io.netty.handler.timeout.TimeoutException)
      return "timeout";
    String name = t.getClass().getSimpleName();
    return name.isEmpty() ? t.getClass().getName() : name;
  }
}
