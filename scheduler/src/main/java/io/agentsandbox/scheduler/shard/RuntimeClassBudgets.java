package io.agentsandbox.scheduler.shard;

import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.warmpool.CreationGate;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Per-runtime-class creation budgets shared by every shard: a cap on sandboxes starting at once, a
 * token bucket on creates per second, and a fair share per pool (the cap divided among the pools of
 * the class). Thread-safe and lock-free: atomics only, nothing blocks; a refused create is retried
 * by the pool on its next tick.
 *
 * <p>Off the claim path: touched when pools refill, not when claims are assigned.
 */
public final class RuntimeClassBudgets implements CreationGate {

  /** One runtime class's budget. Any thread. */
  static final class Budget {
    final int concurrency;
    final double ratePerSecond;
    final AtomicInteger starting = new AtomicInteger();
    final AtomicInteger pools = new AtomicInteger();

    /** Token bucket as the time its bucket is empty; capacity one second of rate. */
    final AtomicLong emptyAtNs = new AtomicLong(Long.MIN_VALUE);

    Budget(int concurrency, double ratePerSecond) {
      this.concurrency = concurrency;
      this.ratePerSecond = ratePerSecond;
    }
  }

  private final Map<String, Integer> concurrency;
  private final Map<String, Double> rates;
  private final ConcurrentHashMap<String, Budget> budgets = new ConcurrentHashMap<>();

  /**
   * @param concurrency most starting at once per class ({@code default}, {@code kata}, {@code *}
   *     keys)
   * @param ratePerSecond most creates per second per class (same keys)
   */
  public RuntimeClassBudgets(Map<String, Integer> concurrency, Map<String, Double> ratePerSecond) {
    this.concurrency = Map.copyOf(concurrency);
    this.rates = Map.copyOf(ratePerSecond);
  }

  private Budget budget(RuntimeClass rc) {
    return budgets.computeIfAbsent(
        rc.isDefault() ? "default" : rc.name(),
        k -> new Budget(lookup(concurrency, rc, 64), lookup(rates, rc, 100.0)));
  }

  private static <V> V lookup(Map<String, V> m, RuntimeClass rc, V dflt) {
    V v = m.get(rc.isDefault() ? "default" : rc.name());
    if (v == null && rc.isKata()) v = m.get("kata");
    if (v == null) v = m.get("*");
    return v == null ? dflt : v;
  }

  @Override
  public int tryAcquire(RuntimeClass runtimeClass, int wanted, int poolStarting, long nowNs) {
    Budget b = budget(runtimeClass);
    int share =
        Math.max(1, (b.concurrency + Math.max(1, b.pools.get()) - 1) / Math.max(1, b.pools.get()));
    int n = Math.min(wanted, share - poolStarting);
    if (n <= 0) return 0;
    n = takeTokens(b, n, nowNs);
    if (n <= 0) return 0;
    while (true) {
      int cur = b.starting.get();
      int grant = Math.min(n, b.concurrency - cur);
      if (grant <= 0) return 0; // NOTE: tokens taken are not returned; the bucket refills anyway.
      if (b.starting.compareAndSet(cur, cur + grant)) return grant;
    }
  }

  private static int takeTokens(Budget b, int n, long nowNs) {
    double nsPerToken = 1e9 / b.ratePerSecond;
    long capacityNs = 1_000_000_000L;
    while (true) {
      long empty = b.emptyAtNs.get();
      // Tokens available now = (now - emptyAt) / nsPerToken, capped at one second's worth.
      long base =
          (empty == Long.MIN_VALUE || nowNs - empty > capacityNs) ? nowNs - capacityNs : empty;
      int available = (int) Math.min(n, (nowNs - base) / nsPerToken);
      if (available <= 0) return 0;
      long next = base + (long) Math.ceil(available * nsPerToken);
      if (b.emptyAtNs.compareAndSet(empty, next)) return available;
    }
  }

  @Override
  public double throughputPerSecond(RuntimeClass runtimeClass, long leadTimeNs) {
    Budget b = budget(runtimeClass);
    int pools = Math.max(1, b.pools.get());
    double share = Math.max(1.0, (double) b.concurrency / pools);
    double byConcurrency = leadTimeNs <= 0 ? Double.POSITIVE_INFINITY : share * 1e9 / leadTimeNs;
    return Math.min(byConcurrency, b.ratePerSecond / pools);
  }

  @Override
  public void release(RuntimeClass runtimeClass) {
    budget(runtimeClass).starting.decrementAndGet();
  }

  @Override
  public void registerPool(RuntimeClass runtimeClass) {
    budget(runtimeClass).pools.incrementAndGet();
  }

  @Override
  public void unregisterPool(RuntimeClass runtimeClass) {
    budget(runtimeClass).pools.decrementAndGet();
  }

  /** Sandboxes of this class starting now. */
  public int starting(RuntimeClass runtimeClass) {
    return budget(runtimeClass).starting.get();
  }
}
