package io.agentsandbox.scheduler;

import io.agentsandbox.core.model.RuntimeClass;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The server's whole configuration, built once from flags and environment by {@link Main},
 * validated by {@link #validate()} and logged once at start-up. Immutable.
 *
 * @param host address the HTTP API binds to
 * @param port HTTP port (0 picks a free one)
 * @param poolsDir directory of {@code SandboxTemplate}/{@code SandboxWarmPool} YAML loaded at start
 * @param backend sandbox backend: {@code local}, {@code simulated}, or {@code auto} (local when
 *     runsc or bwrap works on this host, else simulated with a warning)
 * @param shards number of claim shards (each owned by one event loop)
 * @param httpInstances number of HTTP verticle instances
 * @param claimQueueCapacity bound of each shard's claim queue; a full queue answers {@code 503}
 * @param drainLimit most claims a shard handles per event-loop turn
 * @param tickMs period of each shard's single timer (deadlines, TTLs, stuck members)
 * @param defaultWaitMs wait deadline of a claim that does not say
 * @param maxWaitMs largest {@code waitMs} a claim may ask for
 * @param defaultTtlSeconds TTL of a claim that does not say (0: none)
 * @param maxTtlSeconds largest {@code ttlSeconds} a claim may ask for
 * @param maxClaimsPerTenant default cap of one tenant's concurrent claims per pool ({@code 429})
 * @param readinessGraceSeconds members not ready this long are replaced
 * @param maxStartingPerPool most sandboxes one pool starts at once
 * @param queueFullRetryAfterMs {@code Retry-After} when a shard queue is full
 * @param maxBodyBytes largest request body accepted ({@code 413} above)
 * @param simulatedLatencyMs median start latency per runtime class of the simulated backend ({@code
 *     default} for an unset class, {@code *} for any other)
 * @param simulatedFailureRate fraction of simulated starts that fail
 * @param createConcurrency most sandboxes of a runtime class starting at once, over all pools
 * @param createRatePerSecond most creates per second of a runtime class, over all pools
 * @param leadTimeSeedMs assumed create-to-ready time per runtime class until observed (sizing)
 * @param maxAdmittedWaitMs admission bound: a claim may wait on an empty pool only while the claims
 *     ahead of it can be served by the pool's starting sandboxes plus what it creates in this time;
 *     else {@code 503 overloaded} + {@code Retry-After} at once (0: only the caps below)
 * @param maxWaitingPerPool hard cap on claims waiting in one pool ({@code 503 overloaded} above)
 * @param maxWaitingPerShard hard cap on claims waiting over one shard's pools
 */
public record SchedulerConfig(
    String host,
    int port,
    Path poolsDir,
    String backend,
    int shards,
    int httpInstances,
    int claimQueueCapacity,
    int drainLimit,
    long tickMs,
    long defaultWaitMs,
    long maxWaitMs,
    long defaultTtlSeconds,
    long maxTtlSeconds,
    int maxClaimsPerTenant,
    long readinessGraceSeconds,
    int maxStartingPerPool,
    long queueFullRetryAfterMs,
    int maxBodyBytes,
    Map<String, Long> simulatedLatencyMs,
    double simulatedFailureRate,
    Map<String, Long> createConcurrency,
    Map<String, Long> createRatePerSecond,
    Map<String, Long> leadTimeSeedMs,
    long maxAdmittedWaitMs,
    int maxWaitingPerPool,
    int maxWaitingPerShard) {

  /** Default bind address: this host only ({@code 0.0.0.0} for all interfaces). */
  public static final String DEFAULT_HOST = "127.0.0.1";

  /** Default port of the claim API. */
  public static final int DEFAULT_PORT = 8080;

  /** Default directory of pool YAML: the examples shipped with the repository. */
  public static final String DEFAULT_POOLS_DIR = "crds/examples";

  /** Default backend: local when runsc or bwrap works on this host, else simulated. */
  public static final String DEFAULT_BACKEND = "auto";

  /** Default bound of each shard's claim queue; a full queue answers 503 at once. */
  public static final int DEFAULT_CLAIM_QUEUE_CAPACITY = 8_192;

  /** Default most claims a shard handles per event-loop turn. */
  public static final int DEFAULT_DRAIN_LIMIT = 256;

  /** Default period of each shard's timer (deadlines, TTLs, stuck members). */
  public static final long DEFAULT_TICK_MS = 10;

  /** Default cap of one tenant's concurrent claims per pool. */
  public static final int DEFAULT_MAX_CLAIMS_PER_TENANT = 1_000;

  /** Default time a member may take to become ready before it is replaced: 5 min. */
  public static final long DEFAULT_READINESS_GRACE_SECONDS = 300;

  /** Default most sandboxes one pool starts at once. */
  public static final int DEFAULT_MAX_STARTING_PER_POOL = 512;

  /** Default {@code Retry-After} when a shard queue is full. */
  public static final long DEFAULT_QUEUE_FULL_RETRY_AFTER_MS = 1_000;

  /** Default admission bound on the wait a claim may queue for on an empty pool. */
  public static final long DEFAULT_MAX_ADMITTED_WAIT_MS = 2_000;

  /** Default cap on claims waiting in one pool. */
  public static final int DEFAULT_MAX_WAITING_PER_POOL = 10_000;

  /** Default cap on claims waiting over one shard's pools. */
  public static final int DEFAULT_MAX_WAITING_PER_SHARD = 50_000;

  /** Default wait for warm capacity: 10 s. */
  public static final long DEFAULT_WAIT_MS = 10_000;

  /** Upper bound of any claim's wait: 5 min. */
  public static final long MAX_WAIT_MS = 300_000;

  /** Default claim TTL: 1 h. */
  public static final long DEFAULT_TTL_SECONDS = 3_600;

  /** Upper bound of any claim's TTL: 7 days. */
  public static final long MAX_TTL_SECONDS = 7 * 24 * 3_600;

  /** Request bodies above 64 KiB are refused with 413. */
  public static final int MAX_BODY_BYTES = 64 * 1024;

  /** Seed figures: gVisor ~0.1 s, Kata ~1.5 s (the seed articles), runc ~0.3 s. */
  public static final String DEFAULT_SIMULATED_LATENCY = "gvisor=100,kata=1500,default=300,*=500";

  /** Kata sandboxes are VMs: far fewer at once than gVisor or runc. */
  public static final String DEFAULT_CREATE_CONCURRENCY = "gvisor=256,kata=32,default=256,*=64";

  public static final String DEFAULT_CREATE_RATE = "gvisor=1000,kata=50,default=1000,*=100";

  /** Seed figures: gVisor ~0.1–0.2 s, Kata ~1–2 s (the seed articles). */
  public static final String DEFAULT_LEAD_TIME_SEED = "gvisor=150,kata=1500,default=300,*=500";

  public SchedulerConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(poolsDir, "poolsDir");
    Objects.requireNonNull(backend, "backend");
    simulatedLatencyMs = Map.copyOf(simulatedLatencyMs);
    createConcurrency = Map.copyOf(createConcurrency);
    createRatePerSecond = Map.copyOf(createRatePerSecond);
    leadTimeSeedMs = Map.copyOf(leadTimeSeedMs);
  }

  /**
   * Checks every value; the message names the flag at fault.
   *
   * @throws IllegalArgumentException on the first invalid value
   */
  public SchedulerConfig validate() {
    check(!host.isBlank(), "--host must not be empty");
    check(port >= 0 && port <= 65_535, "--port must be 0..65535: " + port);
    check(
        backend.equals("auto")
            || backend.equals("local")
            || backend.equals("simulated")
            || backend.equals("kubernetes"),
        "--backend must be auto, local, simulated or kubernetes: " + backend);
    check(shards >= 1 && shards <= 256, "--shards must be 1..256: " + shards);
    check(
        httpInstances >= 1 && httpInstances <= 256,
        "--http-instances must be 1..256: " + httpInstances);
    check(
        claimQueueCapacity >= 2 && claimQueueCapacity <= (1 << 24),
        "--claim-queue-capacity must be 2..16777216: " + claimQueueCapacity);
    check(
        drainLimit >= 1 && drainLimit <= 1 << 20,
        "--drain-limit must be 1..1048576: " + drainLimit);
    check(tickMs >= 1 && tickMs <= 10_000, "--tick-ms must be 1..10000: " + tickMs);
    check(
        maxWaitMs >= 0 && maxWaitMs <= 24L * 3_600_000,
        "--max-wait-ms must be 0..86400000: " + maxWaitMs);
    check(
        defaultWaitMs >= 0 && defaultWaitMs <= maxWaitMs,
        "--default-wait-ms must be 0..--max-wait-ms (" + maxWaitMs + "): " + defaultWaitMs);
    check(
        maxTtlSeconds >= 0 && maxTtlSeconds <= 365L * 24 * 3_600,
        "--max-ttl-seconds must be 0..31536000: " + maxTtlSeconds);
    check(
        defaultTtlSeconds >= 0 && defaultTtlSeconds <= maxTtlSeconds,
        "--default-ttl-seconds must be 0..--max-ttl-seconds ("
            + maxTtlSeconds
            + "): "
            + defaultTtlSeconds);
    check(maxClaimsPerTenant >= 1, "--max-claims-per-tenant must be >= 1: " + maxClaimsPerTenant);
    check(
        readinessGraceSeconds >= 1,
        "--readiness-grace-seconds must be >= 1: " + readinessGraceSeconds);
    check(maxStartingPerPool >= 1, "--max-starting-per-pool must be >= 1: " + maxStartingPerPool);
    check(
        queueFullRetryAfterMs >= 0,
        "--queue-full-retry-after-ms must be >= 0: " + queueFullRetryAfterMs);
    check(
        maxAdmittedWaitMs >= 0 && maxAdmittedWaitMs <= 3_600_000,
        "--max-admitted-wait-ms must be 0..3600000: " + maxAdmittedWaitMs);
    check(maxWaitingPerPool >= 1, "--max-waiting-per-pool must be >= 1: " + maxWaitingPerPool);
    check(maxWaitingPerShard >= 1, "--max-waiting-per-shard must be >= 1: " + maxWaitingPerShard);
    check(
        maxBodyBytes >= 1_024 && maxBodyBytes <= 16 << 20,
        "--max-body-bytes must be 1024..16777216: " + maxBodyBytes);
    check(
        simulatedFailureRate >= 0 && simulatedFailureRate <= 1,
        "--simulated-failure-rate must be 0..1: " + simulatedFailureRate);
    checkEach(createConcurrency, 1, 100_000, "--create-concurrency", "");
    checkEach(createRatePerSecond, 1, 1_000_000, "--create-rate", " per second");
    checkEach(leadTimeSeedMs, 1, 600_000, "--lead-time-seed", " ms");
    checkEach(simulatedLatencyMs, 0, 600_000, "--simulated-latency", " ms");
    return this;
  }

  private static void check(boolean ok, String message) {
    if (!ok) throw new IllegalArgumentException(message);
  }

  /** Checks every value of a per-runtime-class map; the message names the flag and the entry. */
  private static void checkEach(
      Map<String, Long> values, long min, long max, String flag, String unit) {
    for (var e : values.entrySet()) {
      check(
          e.getValue() >= min && e.getValue() <= max,
          flag + " " + e.getKey() + " must be " + min + ".." + max + unit + ": " + e.getValue());
    }
  }

  /**
   * Parses {@code class=ms,...}, e.g. {@code gvisor=100,kata=1500,default=300,*=500}.
   *
   * @throws IllegalArgumentException naming the bad entry
   */
  public static Map<String, Long> parseLatencies(String spec) {
    return parseClassMap("--simulated-latency", spec);
  }

  /**
   * Parses {@code class=number,...} per runtime class ({@code default} = unset, {@code kata} = any
   * Kata class, {@code *} = any other); a trailing {@code ms} is allowed.
   *
   * @throws IllegalArgumentException naming {@code flag} and the bad entry
   */
  public static Map<String, Long> parseClassMap(String flag, String spec) {
    Map<String, Long> out = new LinkedHashMap<>();
    if (spec == null || spec.isBlank()) return out;
    for (String part : spec.split(",")) {
      String p = part.trim();
      int eq = p.indexOf('=');
      if (eq <= 0 || eq == p.length() - 1) {
        throw new IllegalArgumentException(flag + " entry must be class=number: '" + p + "'");
      }
      String value = p.substring(eq + 1).trim();
      if (value.endsWith("ms")) value = value.substring(0, value.length() - 2);
      try {
        out.put(p.substring(0, eq).trim(), Long.parseLong(value));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(flag + " entry must be class=number: '" + p + "'");
      }
    }
    return out;
  }

  /** The simulated median start latency of a runtime class, in ms. */
  public long simulatedLatencyMs(RuntimeClass runtimeClass) {
    Long v = simulatedLatencyMs.get(runtimeClass.isDefault() ? "default" : runtimeClass.name());
    if (v == null && runtimeClass.isKata()) v = simulatedLatencyMs.get("kata");
    if (v == null) v = simulatedLatencyMs.get("*");
    return v == null ? 500 : v;
  }

  /** The same configuration on another port. */
  public SchedulerConfig withPort(int newPort) {
    return new SchedulerConfig(
        host,
        newPort,
        poolsDir,
        backend,
        shards,
        httpInstances,
        claimQueueCapacity,
        drainLimit,
        tickMs,
        defaultWaitMs,
        maxWaitMs,
        defaultTtlSeconds,
        maxTtlSeconds,
        maxClaimsPerTenant,
        readinessGraceSeconds,
        maxStartingPerPool,
        queueFullRetryAfterMs,
        maxBodyBytes,
        simulatedLatencyMs,
        simulatedFailureRate,
        createConcurrency,
        createRatePerSecond,
        leadTimeSeedMs,
        maxAdmittedWaitMs,
        maxWaitingPerPool,
        maxWaitingPerShard);
  }
}
