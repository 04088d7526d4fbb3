package io.agentsandbox.scheduler.shard;

import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.model.PoolStats;
import io.agentsandbox.warmpool.WarmPool;

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
    long leadTimeP90Ns) {

  /** A pool's published stats with its spec and target. Its shard's event loop only. */
  static PoolSnapshot of(
      WarmPool pool,
      PoolStats s,
      String backend,
      boolean simulated,
      int shard,
      int shardQueueDepth) {
    return new PoolSnapshot(
        pool.spec(),
        backend,
        simulated,
        (int) s.ready(),
        (int) s.starting(),
        (int) s.claimed(),
        (int) s.desired(),
        (int) s.pending(),
        (int) s.deleting(),
        s.warmAssigned(),
        s.coldAssigned(),
        s.warmHitRatio(),
        shard,
        shardQueueDepth,
        pool.target(),
        pool.targetReason().code(),
        s.demandPerSecond(),
        s.leadTimeP90Ns());
  }
}
