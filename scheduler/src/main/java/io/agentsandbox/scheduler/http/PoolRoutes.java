package io.agentsandbox.scheduler.http;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.scheduler.shard.PoolSnapshot;
import io.agentsandbox.scheduler.shard.ShardCommand;
import io.agentsandbox.scheduler.shard.ShardProxy;
import io.vertx.core.Future;
import io.vertx.core.internal.PromiseInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * {@code GET /v1/pools}, {@code GET /v1/pools/{namespace}/{name}} and {@code /readyz}: each shard's
 * pool snapshots as JSON. One instance per HTTP verticle; used on its event loop.
 */
final class PoolRoutes {

  private final ApiContext api;

  PoolRoutes(ApiContext api) {
    this.api = api;
  }

  void getPools(RoutingContext rc) {
    List<Future<List<PoolSnapshot>>> replies = new ArrayList<>();
    for (ShardProxy shard : api.shards()) {
      PromiseInternal<List<PoolSnapshot>> p = HttpResponses.context(rc).promise();
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
              HttpResponses.json(rc.response(), 200, new JsonObject().put("pools", pools));
            });
  }

  void getPool(RoutingContext rc) {
    PoolKey key;
    try {
      key = new PoolKey(rc.pathParam("namespace"), rc.pathParam("name"));
    } catch (IllegalArgumentException e) {
      HttpErrors.notFound(rc.response(), "pool", "no warm pool");
      return;
    }
    PromiseInternal<List<PoolSnapshot>> p = HttpResponses.context(rc).promise();
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
                  HttpResponses.json(rc.response(), 200, encodePool(s));
                  return;
                }
              }
              HttpErrors.notFound(
                  rc.response(), "pool", "no warm pool " + HttpResponses.truncate(key.toString()));
            });
  }

  /**
   * A pool as JSON, with condition {@code RuntimeClassUnavailable} when the backend cannot run it,
   * the backend's sandbox limits and condition {@code LimitsEnforced=False} when it cannot enforce
   * them all.
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
    String limits = api.limits() == null ? null : api.limits().limitsDescription();
    if (limits != null) {
      o.put("sandboxLimits", limits);
      if (!api.limits().limitsEnforced()) {
        conditions.add(
            new JsonObject()
                .put("type", "LimitsEnforced")
                .put("status", "False")
                .put("reason", "NoCgroupController")
                .put("message", limits));
      }
    }
    return o.put("conditions", conditions);
  }

  void readyz(RoutingContext rc) {
    if (api.ready().getAsBoolean())
      HttpResponses.json(rc.response(), 200, new JsonObject().put("status", "ready"));
    else
      HttpErrors.write(
          rc.response(), 503, "not_ready", null, "the scheduler is starting or stopping", 1_000);
  }
}
