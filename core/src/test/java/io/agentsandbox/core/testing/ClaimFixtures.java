package io.agentsandbox.core.testing;

import io.agentsandbox.core.model.ClaimRequest;
import io.agentsandbox.core.model.OnEmpty;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxBlueprint;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** Builders for model values in tests. */
public final class ClaimFixtures {
  private static final AtomicLong IDS = new AtomicLong();

  private ClaimFixtures() {}

  public static final PoolKey POOL = new PoolKey("default", "python-gvisor");

  public static SandboxBlueprint blueprint(RuntimeClass runtimeClass) {
    return new SandboxBlueprint(
        "python", runtimeClass, "python:3.12-slim", List.of(), List.of(), Map.of(), 0, 0);
  }

  public static PoolSpec pool(PoolKey key, int replicas) {
    return new PoolSpec(key, blueprint(RuntimeClass.GVISOR), replicas, 0);
  }

  public static PoolSpec pool(int replicas) {
    return pool(POOL, replicas);
  }

  /** A builder starting from: pool {@link #POOL}, tenant "t", priority 0, wait 10 s, no TTL. */
  public static Builder claim() {
    return new Builder();
  }

  public static final class Builder {
    private String id = "c" + IDS.incrementAndGet();
    private PoolKey pool = POOL;
    private String tenant = "t";
    private int priority;
    private OnEmpty onEmpty = OnEmpty.WAIT;
    private long waitNs = TimeUnit.SECONDS.toNanos(10);
    private long ttlNs;
    private long receivedAtNs;

    public Builder id(String v) {
      id = v;
      return this;
    }

    public Builder pool(PoolKey v) {
      pool = v;
      return this;
    }

    public Builder tenant(String v) {
      tenant = v;
      return this;
    }

    public Builder priority(int v) {
      priority = v;
      return this;
    }

    public Builder onEmpty(OnEmpty v) {
      onEmpty = v;
      return this;
    }

    public Builder waitMs(long v) {
      waitNs = TimeUnit.MILLISECONDS.toNanos(v);
      return this;
    }

    public Builder ttlMs(long v) {
      ttlNs = TimeUnit.MILLISECONDS.toNanos(v);
      return this;
    }

    public Builder at(long nowNs) {
      receivedAtNs = nowNs;
      return this;
    }

    public ClaimRequest build() {
      return new ClaimRequest(id, pool, tenant, priority, onEmpty, waitNs, ttlNs, receivedAtNs);
    }

    public RecordingTicket ticket() {
      return new RecordingTicket(build());
    }
  }
}
