package io.agentsandbox.scheduler.cli;

import io.agentsandbox.scheduler.SchedulerConfig;
import picocli.CommandLine.Option;

/** Admission and overload limits: per tenant, per pool, per shard. */
public final class LimitOptions {

  @Option(
      names = "--max-claims-per-tenant",
      defaultValue = "" + SchedulerConfig.DEFAULT_MAX_CLAIMS_PER_TENANT,
      description = "Default cap of a tenant's concurrent claims per pool (429 above).")
  int maxClaimsPerTenant;

  @Option(
      names = "--queue-full-retry-after-ms",
      defaultValue = "" + SchedulerConfig.DEFAULT_QUEUE_FULL_RETRY_AFTER_MS,
      description = "Retry-After sent with 503 when a shard's queue is full.")
  long queueFullRetryAfterMs;

  @Option(
      names = "--max-admitted-wait-ms",
      defaultValue = "" + SchedulerConfig.DEFAULT_MAX_ADMITTED_WAIT_MS,
      description = "Admission bound on an empty pool's queue, in ms of creation; 0 = caps only.")
  long maxAdmittedWaitMs;

  @Option(
      names = "--max-waiting-per-pool",
      defaultValue = "" + SchedulerConfig.DEFAULT_MAX_WAITING_PER_POOL,
      description = "Most claims waiting in one pool; 503 overloaded above.")
  int maxWaitingPerPool;

  @Option(
      names = "--max-waiting-per-shard",
      defaultValue = "" + SchedulerConfig.DEFAULT_MAX_WAITING_PER_SHARD,
      description = "Most claims waiting over one shard's pools; 503 overloaded above.")
  int maxWaitingPerShard;
}
