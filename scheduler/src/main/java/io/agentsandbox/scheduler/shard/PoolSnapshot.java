package io.agentsandbox.scheduler.shard;

import io.agentsandbox.core.model.PoolSpec;

/** One pool's state at one moment, as {@code GET /v1/pools} shows it. Immutable. */
public record PoolSnapshot(
    PoolSpec spec,
    String backend,
    boolean simulated,
    int ready,
    int starting,
    int claimed,
    int desired,
    int pending,
    int deleting,
    long warmAssigned,
    long coldAssigned,
    double warmHitRatio,
    int shard,
    int shardQueueDepth,
    int target,
    String targetReason,
    double demandPerSecond,
    long leadTimeP90Ns) {}
