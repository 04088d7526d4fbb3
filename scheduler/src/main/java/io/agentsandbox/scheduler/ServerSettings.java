package io.agentsandbox.scheduler;

import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.scheduler.metrics.MicrometerSchedulerMetrics;
import io.agentsandbox.scheduler.shard.RuntimeClassBudgets;
import io.agentsandbox.scheduler.shard.ShardGroup;
import io.agentsandbox.scheduler.shard.ShardProxy;
import io.agentsandbox.warmpool.SizingPolicy;
import io.agentsandbox.warmpool.WarmPoolPolicy;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/** Turns the server configuration into what the shards and the start-up log need. Stateless. */
final class ServerSettings {

  /** Claims a pool starts per tick at most (not configurable). */
  static final int MAX_STARTS_PER_TICK = 1_000;

  private ServerSettings() {}

  /** The shards' sizes, timers and policies from {@code config}. */
  static ShardGroup.Settings shards(SchedulerConfig config) {
    WarmPoolPolicy policy =
        new WarmPoolPolicy(
            TimeUnit.SECONDS.toNanos(config.readinessGraceSeconds()),
            config.maxStartingPerPool(),
            config.maxClaimsPerTenant(),
            MAX_STARTS_PER_TICK,
            WarmPoolPolicy.DEFAULTS.createBackoffBaseNs(),
            WarmPoolPolicy.DEFAULTS.createBackoffMaxNs(),
            TimeUnit.MILLISECONDS.toNanos(config.maxAdmittedWaitMs()),
            config.maxWaitingPerPool());
    SizingPolicy sizing =
        new SizingPolicy(
            SizingPolicy.DEFAULTS.shortWindowNs(),
            SizingPolicy.DEFAULTS.longWindowNs(),
            SizingPolicy.DEFAULTS.scaleDownDelayNs(),
            SizingPolicy.DEFAULTS.scaleDownStepNs(),
            config.leadTimeSeedMs());
    Map<String, Integer> concurrency = new HashMap<>();
    config.createConcurrency().forEach((k, v) -> concurrency.put(k, v.intValue()));
    Map<String, Double> rates = new HashMap<>();
    config.createRatePerSecond().forEach((k, v) -> rates.put(k, v.doubleValue()));
    return new ShardGroup.Settings(
        config.shards(),
        config.claimQueueCapacity(),
        config.drainLimit(),
        config.tickMs(),
        policy,
        sizing,
        new RuntimeClassBudgets(concurrency, rates),
        config.maxWaitingPerShard());
  }

  /** One gauge per shard and queue: the claims waiting in its inbox. */
  static void registerQueueGauges(ShardGroup shards, MeterRegistry registry) {
    for (ShardProxy proxy : shards.proxies()) {
      queueGauge(registry, proxy, "claims", ShardProxy::claimQueueDepth);
      queueGauge(registry, proxy, "control", ShardProxy::controlQueueDepth);
    }
  }

  private static void queueGauge(
      MeterRegistry registry, ShardProxy proxy, String queue, ToDoubleFunction<ShardProxy> depth) {
    Gauge.builder(MicrometerSchedulerMetrics.PREFIX + "shard_queue_depth", proxy, depth)
        .description("Claims queued in a shard's inbox")
        .tag("shard", Integer.toString(proxy.index()))
        .tag("queue", queue)
        .register(registry);
  }

  /** The start-up line: where the API listens, the pools, and curl commands to try it. */
  static String startedMessage(SchedulerConfig c, boolean tls, SchedulerServer server) {
    String base =
        (tls ? "https://" : "http://")
            + (c.host().equals("0.0.0.0") ? "127.0.0.1" : c.host())
            + ":"
            + c.port();
    List<PoolSpec> declared = server.declaredPools();
    StringBuilder pools = new StringBuilder();
    for (PoolSpec p : declared) {
      pools
          .append("\n  pool ")
          .append(p.key())
          .append(": ")
          .append(p.replicas())
          .append(" warm, runtime class ")
          .append(p.runtimeClass().displayName())
          .append(", template ")
          .append(p.blueprint().templateName());
    }
    String first = declared.isEmpty() ? "<pool>" : declared.get(0).key().name();
    var provisioner = server.provisioner();
    return "agent-sandbox server listening on "
        + base
        + " ("
        + server.shards().size()
        + " shards, backend "
        + provisioner.backendName()
        + (provisioner.isSimulated() ? ", SIMULATED" : "")
        + ")"
        + pools
        + "\n  claim:   curl -s"
        + (tls ? " --cacert <ca.pem>" : "")
        + " -XPOST "
        + base
        + "/v1/claims -H 'content-type: application/json' -d '{\"pool\":\""
        + first
        + "\"}'\n  release: curl -s -XDELETE "
        + base
        + "/v1/claims/<claimId>\n  pools:   curl -s "
        + base
        + "/v1/pools";
  }
}
