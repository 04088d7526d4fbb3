package io.agentsandbox.bench.warmpool;

import io.agentsandbox.bench.BenchmarkBase;
import io.agentsandbox.bench.Fixtures;
import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.ClaimRequest;
import io.agentsandbox.core.model.LaunchType;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxBlueprint;
import io.agentsandbox.core.model.SandboxRef;
import io.agentsandbox.core.port.PoolMetrics;
import io.agentsandbox.warmpool.PoolActions;
import io.agentsandbox.warmpool.WarmPool;
import io.agentsandbox.warmpool.WarmPoolPolicy;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One in-memory claim on one shard's pool, single-threaded: {@link WarmPool#tryAssign} of a ready
 * sandbox, then {@link WarmPool#release}, then the two backend events that cycle causes (the
 * released sandbox is deleted, its replacement is ready), so the pool stays in steady state with
 * {@code poolSize} ready members. Baseline: {@link NaivePool}, the obvious {@code synchronized}
 * deque-and-map pool doing the same steps, in this class.
 *
 * <p>The ticket is reused ({@link Fixtures.ReusableTicket}) so {@code gc.alloc.rate.norm} is the
 * pool's own allocation; the target is about 0 B/op.
 */
@State(Scope.Thread)
public class WarmPoolClaimBenchmark extends BenchmarkBase {

  private static final long NOW = 1_000_000_000L;

  @Param({"16", "1024", "65536"})
  public int poolSize;

  private WarmPool pool;
  private LastActions actions;
  private Fixtures.ReusableTicket ticket;
  private String claimId;

  private NaivePool naive;
  private Fixtures.ReusableTicket naiveTicket;

  /** Records the last create and delete the pool asked for; the benchmark plays the backend. */
  static final class LastActions implements PoolActions {
    final List<String> setupCreates = new ArrayList<>();
    boolean inSetup = true;
    String lastCreated;
    String lastDeleted;

    @Override
    public void createSandbox(PoolKey pool, String sandboxName, SandboxBlueprint blueprint) {
      if (inSetup) setupCreates.add(sandboxName);
      lastCreated = sandboxName;
    }

    @Override
    public void deleteSandbox(PoolKey pool, String sandboxName) {
      lastDeleted = sandboxName;
    }

    @Override
    public void claimEnded(String claimId) {}
  }

  /**
   * A pool of {@code poolSize} members, all ready, with {@code actions} playing the backend (its
   * setup over). Setup only.
   */
  static WarmPool warmPool(int poolSize, LastActions actions, long now) {
    WarmPool pool =
        new WarmPool(
            Fixtures.pool(Fixtures.POOL, poolSize),
            WarmPoolPolicy.DEFAULTS.withMaxStarting(Math.max(512, poolSize)),
            actions,
            PoolMetrics.NOOP,
            "bench",
            42L);
    pool.onTick(now);
    for (String name : actions.setupCreates) pool.onSandboxReady(name, Fixtures.ADDRESSES, now);
    actions.inSetup = false;
    return pool;
  }

  @Setup(Level.Trial)
  public void setUp() {
    actions = new LastActions();
    pool = warmPool(poolSize, actions, NOW);
    if (pool.readyCount() != poolSize)
      throw new IllegalStateException("pool not warm: " + pool.readyCount());
    claimId = "cl-0-benchbenchbenchbench";
    ClaimRequest request = Fixtures.claim(claimId, Fixtures.POOL, NOW);
    ticket = new Fixtures.ReusableTicket(request);

    naive = new NaivePool(Fixtures.POOL, poolSize, Fixtures.ADDRESSES, "bench");
    naiveTicket = new Fixtures.ReusableTicket(request);

    // Warm the common case before measuring (JIT, and every member cycled through once).
    for (int i = 0; i < Math.max(20_000, 2 * poolSize); i++) {
      warmPoolClaimRelease();
      naiveSynchronizedClaimRelease();
    }
    if (pool.readyCount() != poolSize || pool.claimedCount() != 0)
      throw new IllegalStateException("pool drifted");
  }

  /**
   * Claim + release on {@link WarmPool}, plus the backend's delete and replacement-ready events.
   */
  @Benchmark
  public ClaimOutcome warmPoolClaimRelease() {
    Fixtures.ReusableTicket t = ticket;
    t.reset();
    ClaimOutcome outcome = pool.tryAssign(t, NOW);
    pool.release(claimId, NOW);
    pool.onSandboxDeleted(actions.lastDeleted, NOW);
    pool.onSandboxReady(actions.lastCreated, Fixtures.ADDRESSES, NOW);
    return outcome;
  }

  /** The same cycle on the naive synchronized twin. */
  @Benchmark
  public ClaimOutcome naiveSynchronizedClaimRelease() {
    Fixtures.ReusableTicket t = naiveTicket;
    t.reset();
    ClaimOutcome outcome = naive.tryAssign(t, NOW);
    String deleted = naive.release(claimId);
    naive.onSandboxDeleted(deleted);
    naive.onSandboxReady(naive.lastCreated, Fixtures.ADDRESSES);
    return outcome;
  }

  /**
   * BASELINE: the obvious pool: every method {@code synchronized}, a deque of ready sandboxes, a
   * map of claims, a map of members, a replacement started on each claim. Same steps and same
   * outcome objects as {@link WarmPool}'s warm path, none of its policy (no quotas, parking,
   * deadlines, backoff, fairness).
   */
  static final class NaivePool {
    private final PoolKey key;
    private final int replicas;
    private final List<String> addresses;
    private final String backend;
    private final ArrayDeque<SandboxRef> ready = new ArrayDeque<>();
    private final HashMap<String, String> starting = new HashMap<>();
    private final HashMap<String, SandboxRef> claimed = new HashMap<>();
    private long seq;
    String lastCreated;

    NaivePool(PoolKey key, int replicas, List<String> addresses, String backend) {
      this.key = key;
      this.replicas = replicas;
      this.addresses = addresses;
      this.backend = backend;
      for (int i = 0; i < replicas; i++)
        ready.addLast(new SandboxRef(newName(), key, RuntimeClass.GVISOR, addresses, backend));
    }

    private String newName() {
      return key.name() + "-" + Long.toString(seq++, 36);
    }

    synchronized ClaimOutcome tryAssign(Fixtures.ReusableTicket ticket, long nowNs) {
      ClaimRequest r = ticket.request();
      SandboxRef s = ready.pollFirst();
      if (s == null) throw new IllegalStateException("empty");
      claimed.put(r.claimId(), s);
      ClaimOutcome.Assigned a =
          new ClaimOutcome.Assigned(
              r.claimId(), s, LaunchType.WARM, nowNs - r.receivedAtNs(), nowNs + r.ttlNs());
      if (ready.size() + starting.size() < replicas) {
        lastCreated = newName();
        starting.put(lastCreated, lastCreated);
      }
      ticket.complete(a);
      return a;
    }

    synchronized String release(String claimId) {
      SandboxRef s = claimed.remove(claimId);
      return s == null ? null : s.name();
    }

    synchronized void onSandboxDeleted(String name) {
      // nothing kept for deleted sandboxes
    }

    synchronized void onSandboxReady(String name, List<String> addrs) {
      if (starting.remove(name) != null)
        ready.addLast(new SandboxRef(name, key, RuntimeClass.GVISOR, addrs, backend));
    }
  }

  public static void main(String[] args) throws Exception {
    run(WarmPoolClaimBenchmark.class, args);
  }
}
