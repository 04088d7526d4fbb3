package io.agentsandbox.scheduler.cli;

import io.agentsandbox.scheduler.SchedulerConfig;
import picocli.CommandLine.Option;

/** How shards and pools behave: queues, timers, claim waits and TTLs, creation budgets. */
public final class PoolOptions {

  @Option(
      names = "--claim-queue-capacity",
      defaultValue = "" + SchedulerConfig.DEFAULT_CLAIM_QUEUE_CAPACITY,
      description = "Bound of each shard's claim queue; when full, 503 + Retry-After at once.")
  int claimQueueCapacity;

  @Option(
      names = "--drain-limit",
      defaultValue = "" + SchedulerConfig.DEFAULT_DRAIN_LIMIT,
      description = "Most claims a shard handles per event-loop turn.")
  int drainLimit;

  @Option(
      names = "--tick-ms",
      defaultValue = "" + SchedulerConfig.DEFAULT_TICK_MS,
      description = "Period of each shard's timer for deadlines and TTLs.")
  long tickMs;

  @Option(
      names = "--default-wait-ms",
      defaultValue = "" + SchedulerConfig.DEFAULT_WAIT_MS,
      description = "How long a claim waits for a sandbox when it does not say.")
  long defaultWaitMs;

  @Option(
      names = "--max-wait-ms",
      defaultValue = "" + SchedulerConfig.MAX_WAIT_MS,
      description = "Largest waitMs a claim may ask for.")
  long maxWaitMs;

  @Option(
      names = "--default-ttl-seconds",
      defaultValue = "" + SchedulerConfig.DEFAULT_TTL_SECONDS,
      description = "How long a claim holds its sandbox when it does not say; 0 = until released.")
  long defaultTtlSeconds;

  @Option(
      names = "--max-ttl-seconds",
      defaultValue = "" + SchedulerConfig.MAX_TTL_SECONDS,
      description = "Largest ttlSeconds a claim may ask for.")
  long maxTtlSeconds;

  @Option(
      names = "--readiness-grace-seconds",
      defaultValue = "" + SchedulerConfig.DEFAULT_READINESS_GRACE_SECONDS,
      description = "Pool members not ready this long after creation are replaced.")
  long readinessGraceSeconds;

  @Option(
      names = "--max-starting-per-pool",
      defaultValue = "" + SchedulerConfig.DEFAULT_MAX_STARTING_PER_POOL,
      description = "Most sandboxes one pool starts at once.")
  int maxStartingPerPool;

  @Option(
      names = "--create-concurrency",
      defaultValue = SchedulerConfig.DEFAULT_CREATE_CONCURRENCY,
      description = "Most sandboxes of a runtime class starting at once, over its pools.")
  String createConcurrency;

  @Option(
      names = "--create-rate",
      defaultValue = SchedulerConfig.DEFAULT_CREATE_RATE,
      description = "Most creates per second of a runtime class, over its pools.")
  String createRate;

  @Option(
      names = "--lead-time-seed",
      defaultValue = SchedulerConfig.DEFAULT_LEAD_TIME_SEED,
      description = "Autoscaled pools: create-to-ready ms assumed per runtime class until seen.")
  String leadTimeSeed;

  @Option(
      names = "--simulated-latency",
      defaultValue = SchedulerConfig.DEFAULT_SIMULATED_LATENCY,
      description = "Simulated backend: median start latency in ms per runtime class.")
  String simulatedLatency;

  @Option(
      names = "--simulated-failure-rate",
      defaultValue = "0",
      description = "Simulated backend: fraction of starts that fail, 0..1.")
  double simulatedFailureRate;
}
