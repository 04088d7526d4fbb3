package io.agentsandbox.core.testing;

import io.agentsandbox.core.model.LaunchType;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.PoolStats;
import io.agentsandbox.core.model.RejectReason;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.port.PoolMetrics;
import io.agentsandbox.core.port.SchedulerMetrics;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Metrics that count what they are told, per pool. Thread-safe. */
public final class RecordingMetrics implements SchedulerMetrics {

  /** One pool's counts. */
  public static final class Pool implements PoolMetrics {
    public final AtomicLong warm = new AtomicLong();
    public final AtomicLong cold = new AtomicLong();
    public final AtomicLong released = new AtomicLong();
    public final AtomicLong releasedByTtl = new AtomicLong();
    public final AtomicLong ready = new AtomicLong();
    public final AtomicLong failed = new AtomicLong();
    public final AtomicLong stuck = new AtomicLong();
    public final Map<RejectReason, AtomicLong> rejected = new EnumMap<>(RejectReason.class);
    public volatile PoolStats stats;

    public Pool() {
      for (RejectReason r : RejectReason.values()) rejected.put(r, new AtomicLong());
    }

    @Override
    public void claimAssigned(LaunchType launchType, long waitedNs) {
      (launchType == LaunchType.WARM ? warm : cold).incrementAndGet();
    }

    @Override
    public void claimRejected(RejectReason reason) {
      rejected.get(reason).incrementAndGet();
    }

    @Override
    public void claimReleased(boolean byTtl) {
      (byTtl ? releasedByTtl : released).incrementAndGet();
    }

    @Override
    public void sandboxReady(long startNs) {
      ready.incrementAndGet();
    }

    @Override
    public void sandboxFailed(boolean isStuck) {
      (isStuck ? stuck : failed).incrementAndGet();
    }

    public long rejected(RejectReason reason) {
      return rejected.get(reason).get();
    }
  }

  private final Map<PoolKey, Pool> pools = new ConcurrentHashMap<>();
  public final AtomicLong errors = new AtomicLong();

  @Override
  public PoolMetrics registerPool(PoolKey pool, RuntimeClass runtimeClass, PoolStats stats) {
    Pool p = pools.computeIfAbsent(pool, k -> new Pool());
    p.stats = stats;
    return p;
  }

  @Override
  public void errorCaught(String where) {
    errors.incrementAndGet();
  }

  public Pool pool(PoolKey key) {
    return pools.get(key);
  }
}
