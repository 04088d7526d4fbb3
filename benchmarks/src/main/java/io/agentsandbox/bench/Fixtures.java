package io.agentsandbox.bench;

import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.ClaimRequest;
import io.agentsandbox.core.model.ClaimTicket;
import io.agentsandbox.core.model.OnEmpty;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxBlueprint;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Model values and tickets for the benchmarks. Stateless. */
public final class Fixtures {
  private Fixtures() {}

  public static final PoolKey POOL = new PoolKey("default", "bench-gvisor");
  public static final List<String> ADDRESSES = List.of("198.51.100.7");

  public static PoolSpec pool(PoolKey key, int replicas) {
    SandboxBlueprint blueprint =
        new SandboxBlueprint(
            "python",
            RuntimeClass.GVISOR,
            "python:3.12-slim",
            List.of(),
            List.of(),
            Map.of(),
            0,
            0);
    return new PoolSpec(key, blueprint, replicas, 0);
  }

  /** A claim as the HTTP edge builds it by default: wait 10 s, TTL 1 h, tenant "t". */
  public static ClaimRequest claim(String claimId, PoolKey pool, long receivedAtNs) {
    return new ClaimRequest(
        claimId,
        pool,
        "t",
        0,
        OnEmpty.WAIT,
        TimeUnit.SECONDS.toNanos(10),
        TimeUnit.HOURS.toNanos(1),
        receivedAtNs);
  }

  /**
   * A ticket that can be completed again after {@link #reset()}, so a single-threaded benchmark
   * measures the pool, not the caller's ticket allocation. BENCHMARK ONLY: it resets {@code
   * ClaimTicket.completed} through a private-access {@link VarHandle} (classpath, unnamed module).
   */
  public static final class ReusableTicket extends ClaimTicket {
    private static final VarHandle COMPLETED;

    static {
      try {
        COMPLETED =
            MethodHandles.privateLookupIn(ClaimTicket.class, MethodHandles.lookup())
                .findVarHandle(ClaimTicket.class, "completed", boolean.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    public ClaimOutcome outcome;

    public ReusableTicket(ClaimRequest request) {
      super(request);
    }

    @Override
    protected void onComplete(ClaimOutcome outcome) {
      this.outcome = outcome;
    }

    public void reset() {
      COMPLETED.set(this, false);
      outcome = null;
    }
  }
}
