package io.agentsandbox.scheduler.metrics;

import io.agentsandbox.core.logging.LogBudget;
import io.agentsandbox.core.model.LaunchType;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.PoolStats;
import io.agentsandbox.core.model.RejectReason;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.port.PoolMetrics;
import io.agentsandbox.core.port.SchedulerMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Micrometer implementation of the scheduler's metrics. Meters are resolved once per pool in {@link
 * #registerPool} (on the pool's owner thread); the per-event methods only touch those references.
 * Gauges read the owner-published {@link PoolStats}. Thread-safe.
 */
public final class MicrometerSchedulerMetrics implements SchedulerMetrics {

  public static final String PREFIX = "agent_sandbox_";

  private final MeterRegistry registry;
  private final Map<PoolKey, List<Meter>> meters = new ConcurrentHashMap<>();
  private final Map<String, Counter> errors = new ConcurrentHashMap<>();

  /** The log categories whose dropped lines are counted ({@code LogBudget}). */
  public static final List<String> LOG_CATEGORIES =
      List.of("claims", "audit", "sandboxes", "conflicts");

  public MicrometerSchedulerMetrics(MeterRegistry registry) {
    this.registry = registry;
    for (String category : LOG_CATEGORIES) {
      io.micrometer.core.instrument.FunctionCounter.builder(
              PREFIX + "log_lines_dropped", LogBudget.named(category), LogBudget::droppedTotal)
          .description("Log lines dropped by the category's --log-rate-limit")
          .tag("category", category)
          .register(registry);
    }
  }

  public MeterRegistry registry() {
    return registry;
  }

  @Override
  public PoolMetrics registerPool(PoolKey pool, RuntimeClass runtimeClass, PoolStats stats) {
    Tags tags =
        Tags.of(
            "namespace",
            pool.namespace(),
            "pool",
            pool.name(),
            "runtime_class",
            runtimeClass.displayName());
    List<Meter> list = new ArrayList<>();
    gauge(list, "pool_ready", "Ready, unclaimed sandboxes", tags, stats, PoolStats::ready);
    gauge(list, "pool_starting", "Sandboxes starting", tags, stats, PoolStats::starting);
    gauge(list, "pool_claimed", "Sandboxes bound to a claim", tags, stats, PoolStats::claimed);
    gauge(
        list,
        "pool_desired",
        "Unclaimed sandboxes the pool aims to hold",
        tags,
        stats,
        PoolStats::desired);
    gauge(
        list,
        "pool_pending_claims",
        "Claims waiting for a sandbox (queue depth)",
        tags,
        stats,
        PoolStats::pending);
    gauge(list, "pool_deleting", "Sandboxes being deleted", tags, stats, PoolStats::deleting);
    gauge(
        list,
        "pool_target",
        "Unclaimed stock the pool aims at (replicas, or the demand-driven target)",
        tags,
        stats,
        PoolStats::target);
    gauge(
        list,
        "pool_demand_per_second",
        "Estimated claims per second",
        tags,
        stats,
        PoolStats::demandPerSecond);
    gauge(
        list,
        "pool_lead_time_p90_seconds",
        "p90 time from create to ready",
        tags,
        stats,
        s -> s.leadTimeP90Ns() / 1e9);
    gauge(
        list,
        "pool_warm_hit_ratio",
        "Claims answered at once from a ready sandbox over all claims answered",
        tags,
        stats,
        PoolStats::warmHitRatio);

    Counter warm = claims(list, tags, "assigned", "warm");
    Counter cold = claims(list, tags, "assigned", "cold");
    EnumMap<RejectReason, Counter> rejected = new EnumMap<>(RejectReason.class);
    for (RejectReason r : RejectReason.values()) {
      rejected.put(r, claims(list, tags, r.code(), "none"));
    }
    Timer waitWarm =
        timer(
            list,
            "claim_wait",
            "Time from a claim's arrival to its binding",
            tags.and("launch_type", "warm"));
    Timer waitCold =
        timer(
            list,
            "claim_wait",
            "Time from a claim's arrival to its binding",
            tags.and("launch_type", "cold"));
    Timer start =
        timer(
            list,
            "sandbox_start",
            "Time from asking the backend for a sandbox to it being ready",
            tags);
    Counter released =
        counter(list, "claims_released_total", "Claims released", tags.and("by", "client"));
    Counter expired =
        counter(list, "claims_released_total", "Claims released", tags.and("by", "ttl"));
    Counter failed =
        counter(
            list, "sandbox_failures_total", "Sandboxes that failed", tags.and("kind", "failed"));
    Counter stuck =
        counter(
            list,
            "sandbox_failures_total",
            "Sandboxes that failed",
            tags.and("kind", "not_ready_in_time"));
    meters.put(pool, list);

    return new PoolMetrics() {
      @Override
      public void claimAssigned(LaunchType launchType, long waitedNs) {
        if (launchType == LaunchType.WARM) {
          warm.increment();
          waitWarm.record(waitedNs, TimeUnit.NANOSECONDS);
        } else {
          cold.increment();
          waitCold.record(waitedNs, TimeUnit.NANOSECONDS);
        }
      }

      @Override
      public void claimRejected(RejectReason reason) {
        rejected.get(reason).increment();
      }

      @Override
      public void claimReleased(boolean byTtl) {
        (byTtl ? expired : released).increment();
      }

      @Override
      public void sandboxReady(long startNs) {
        start.record(startNs, TimeUnit.NANOSECONDS);
      }

      @Override
      public void sandboxFailed(boolean isStuck) {
        (isStuck ? stuck : failed).increment();
      }
    };
  }

  @Override
  public void unregisterPool(PoolKey pool) {
    List<Meter> list = meters.remove(pool);
    if (list != null) list.forEach(registry::remove);
  }

  @Override
  public void errorCaught(String where) {
    errors
        .computeIfAbsent(
            where,
            w ->
                Counter.builder(PREFIX + "errors_total")
                    .description("Unexpected failures caught on an owner loop, which carried on")
                    .tag("where", w)
                    .register(registry))
        .increment();
  }

  private void gauge(
      List<Meter> list,
      String name,
      String help,
      Tags tags,
      PoolStats stats,
      ToDoubleFunction<PoolStats> f) {
    list.add(
        Gauge.builder(PREFIX + name, stats, f)
            .description(help)
            .tags(tags)
            .strongReference(true)
            .register(registry));
  }

  /** {@code claims_total} of one outcome and launch type. */
  private Counter claims(List<Meter> list, Tags tags, String outcome, String launchType) {
    return counter(
        list,
        "claims_total",
        "Claims by outcome",
        tags.and("outcome", outcome, "launch_type", launchType));
  }

  private Counter counter(List<Meter> list, String name, String help, Tags tags) {
    Counter c = Counter.builder(PREFIX + name).description(help).tags(tags).register(registry);
    list.add(c);
    return c;
  }

  private Timer timer(List<Meter> list, String name, String help, Tags tags) {
    Timer t =
        Timer.builder(PREFIX + name)
            .description(help)
            .tags(tags)
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofNanos(1_000))
            .maximumExpectedValue(Duration.ofMinutes(5))
            .register(registry);
    list.add(t);
    return t;
  }
}
