package io.agentsandbox.scheduler.cli;

import io.agentsandbox.scheduler.SchedulerConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the API listens, where pools come from, which backend, how many threads. */
public final class ServerOptions {

  @Option(
      names = "--host",
      defaultValue = SchedulerConfig.DEFAULT_HOST,
      description = "Address to bind; 0.0.0.0 for all interfaces.")
  String host;

  @Option(
      names = "--port",
      defaultValue = "" + SchedulerConfig.DEFAULT_PORT,
      description = "HTTP port of the claim API; 0 picks a free port.")
  int port;

  @Option(
      names = "--pools-dir",
      defaultValue = SchedulerConfig.DEFAULT_POOLS_DIR,
      description = "Directory of SandboxTemplate/SandboxWarmPool YAML loaded at start.")
  Path poolsDir;

  @Option(
      names = "--backend",
      defaultValue = SchedulerConfig.DEFAULT_BACKEND,
      description = "Sandbox backend: auto, local, simulated or kubernetes (see below).")
  String backend;

  @Option(
      names = "--shards",
      defaultValue = "0",
      description = "Claim shards, each owned by one event loop; 0 = number of CPUs.")
  int shards;

  @Option(
      names = "--http-instances",
      defaultValue = "0",
      description = "HTTP verticle instances; 0 = number of CPUs.")
  int httpInstances;

  @Option(
      names = "--max-body-bytes",
      defaultValue = "" + SchedulerConfig.MAX_BODY_BYTES,
      description = "Largest request body; larger gets 413.")
  int maxBodyBytes;

  /** The server configuration these flags describe (not yet validated). */
  public SchedulerConfig toConfig(PoolOptions pools, LimitOptions limits) {
    int cpus = Math.max(1, Runtime.getRuntime().availableProcessors());
    return new SchedulerConfig(
        host,
        port,
        poolsDir,
        backend,
        shards == 0 ? cpus : shards,
        httpInstances == 0 ? cpus : httpInstances,
        pools.claimQueueCapacity,
        pools.drainLimit,
        pools.tickMs,
        pools.defaultWaitMs,
        pools.maxWaitMs,
        pools.defaultTtlSeconds,
        pools.maxTtlSeconds,
        limits.maxClaimsPerTenant,
        pools.readinessGraceSeconds,
        pools.maxStartingPerPool,
        limits.queueFullRetryAfterMs,
        maxBodyBytes,
        SchedulerConfig.parseLatencies(pools.simulatedLatency),
        pools.simulatedFailureRate,
        SchedulerConfig.parseClassMap("--create-concurrency", pools.createConcurrency),
        SchedulerConfig.parseClassMap("--create-rate", pools.createRate),
        SchedulerConfig.parseClassMap("--lead-time-seed", pools.leadTimeSeed),
        limits.maxAdmittedWaitMs,
        limits.maxWaitingPerPool,
        limits.maxWaitingPerShard);
  }
}
