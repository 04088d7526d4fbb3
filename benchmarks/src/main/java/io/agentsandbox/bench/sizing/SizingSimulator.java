package io.agentsandbox.bench.sizing;

import io.agentsandbox.core.model.Autoscale;
import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.ClaimRequest;
import io.agentsandbox.core.model.ClaimTicket;
import io.agentsandbox.core.model.OnEmpty;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxBlueprint;
import io.agentsandbox.core.port.PoolMetrics;
import io.agentsandbox.warmpool.CreationGate;
import io.agentsandbox.warmpool.PoolActions;
import io.agentsandbox.warmpool.SizingPolicy;
import io.agentsandbox.warmpool.WarmPool;
import io.agentsandbox.warmpool.WarmPoolPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real {@link WarmPool} over a trace with simulated time: claims arrive per the trace
 * (each takes a ready sandbox or falls back to a cold start), sandboxes become ready after a
 * latency drawn from the runtime class's distribution (log-normal), and the pool's timer ticks
 * every {@value #TICK_MS} ms. Single-threaded and deterministic for a seed.
 */
final class SizingSimulator {

  static final long TICK_MS = 20;

  /**
   * Claims in the first seconds are served but not counted: every pool starts empty and needs one
   * lead time to fill, whatever its policy.
   */
  static final double WARMUP_S = 10;

  private static final PoolKey POOL = new PoolKey("sim", "pool");
  private static final double LATENCY_SIGMA = 0.25;

  /** A runtime class's start-latency distribution. */
  record Runtime(String name, RuntimeClass runtimeClass, double medianLatencyS) {
    double sample(SplittableRandom r) {
      double z =
          Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
      return medianLatencyS * Math.exp(LATENCY_SIGMA * z);
    }

    /** The p90 of the log-normal. */
    double p90S() {
      return medianLatencyS * Math.exp(LATENCY_SIGMA * 1.2816);
    }
  }

  /** Results of one run; idle means ready and unclaimed. */
  record Result(
      String policy,
      int claims,
      int hits,
      int coldStarts,
      double meanIdle,
      int peakIdle,
      double idleSandboxSeconds,
      double[] timeS,
      double[] idleSeries,
      double[] targetSeries) {
    double hitRatio() {
      return claims == 0 ? 1 : (double) hits / claims;
    }
  }

  private static final class Event implements Comparable<Event> {
    final long atNs;
    final int kind; // 0 ready, 1 deleted
    final String name;

    Event(long atNs, int kind, String name) {
      this.atNs = atNs;
      this.kind = kind;
      this.name = name;
    }

    @Override
    public int compareTo(Event o) {
      return Long.compare(atNs, o.atNs);
    }
  }

  private static final class SimTicket extends ClaimTicket {
    ClaimOutcome outcome;

    SimTicket(ClaimRequest r) {
      super(r);
    }

    @Override
    protected void onComplete(ClaimOutcome o) {
      outcome = o;
    }
  }

  /**
   * @param autoscale null for a static pool of {@code replicas}
   * @param sampleEveryS period of the recorded series for plots
   */
  static Result run(
      String policyName,
      Trace trace,
      Runtime runtime,
      int replicas,
      Autoscale autoscale,
      long seed,
      double sampleEveryS) {
    SplittableRandom random = new SplittableRandom(seed ^ 0x9E3779B97F4A7C15L);
    PriorityQueue<Event> events = new PriorityQueue<>();
    long[] now = {0};
    PoolActions actions =
        new PoolActions() {
          @Override
          public void createSandbox(PoolKey pool, String name, SandboxBlueprint blueprint) {
            events.add(new Event(now[0] + (long) (runtime.sample(random) * 1e9), 0, name));
          }

          @Override
          public void deleteSandbox(PoolKey pool, String name) {
            events.add(new Event(now[0], 1, name));
          }
        };
    SandboxBlueprint blueprint =
        new SandboxBlueprint(
            "sim", runtime.runtimeClass(), "", List.of(), List.of(), Map.of(), 0, 0);
    SizingPolicy sizing =
        SizingPolicy.DEFAULTS.withLeadTimeSeedMs(Map.of("*", (long) (runtime.p90S() * 1000)));
    WarmPoolPolicy policy =
        WarmPoolPolicy.DEFAULTS.withMaxStarting(100_000).withMaxClaimsPerTenant(1_000_000);
    WarmPool pool =
        new WarmPool(
            new PoolSpec(POOL, blueprint, replicas, 0, autoscale),
            policy,
            sizing,
            CreationGate.UNLIMITED,
            actions,
            PoolMetrics.NOOP,
            "sim",
            seed);

    long[] arrivals = trace.arrivals(seed);
    long endNs = (long) (trace.durationS() * 1e9);
    long tickNs = TimeUnit.MILLISECONDS.toNanos(TICK_MS);
    long nextTick = 0;
    long sampleNs = (long) (sampleEveryS * 1e9);
    long nextSample = 0;
    List<double[]> samples = new ArrayList<>();
    int a = 0;
    int hits = 0;
    int cold = 0;
    int peakIdle = 0;
    double idleIntegral = 0;
    long lastNs = 0;
    long claimSeq = 0;
    long warmupNs = (long) (WARMUP_S * 1e9);
    int counted = 0;
    while (true) {
      long nextArrival = a < arrivals.length ? arrivals[a] : Long.MAX_VALUE;
      long nextEvent = events.isEmpty() ? Long.MAX_VALUE : events.peek().atNs;
      long t = Math.min(Math.min(nextArrival, nextEvent), Math.min(nextTick, nextSample));
      if (t > endNs) break;
      if (t >= warmupNs)
        idleIntegral += pool.readyCount() * ((t - Math.max(lastNs, warmupNs)) / 1e9);
      lastNs = t;
      now[0] = t;
      if (t == nextSample) {
        samples.add(new double[] {t / 1e9, pool.readyCount(), pool.target()});
        nextSample += sampleNs;
      } else if (t == nextTick) {
        pool.onTick(t);
        nextTick += tickNs;
      } else if (t == nextEvent) {
        Event e = events.poll();
        if (e.kind == 0) pool.onSandboxReady(e.name, List.of(), t);
        else pool.onSandboxDeleted(e.name, t);
      } else {
        a++;
        SimTicket ticket =
            new SimTicket(
                new ClaimRequest(
                    "c" + (claimSeq++),
                    POOL,
                    "t",
                    0,
                    OnEmpty.COLD,
                    TimeUnit.SECONDS.toNanos(30),
                    0,
                    t));
        ClaimOutcome o = pool.tryAssign(ticket, t);
        boolean count = t >= warmupNs;
        if (count) counted++;
        if (o instanceof ClaimOutcome.Assigned assigned) {
          if (count) hits++;
          pool.release(assigned.claimId(), t); // a claimed sandbox never returns to the pool
        } else if (count) {
          cold++;
        }
      }
      if (t >= warmupNs) peakIdle = Math.max(peakIdle, pool.readyCount());
    }
    double[] ts = new double[samples.size()];
    double[] idle = new double[samples.size()];
    double[] target = new double[samples.size()];
    for (int i = 0; i < ts.length; i++) {
      ts[i] = samples.get(i)[0];
      idle[i] = samples.get(i)[1];
      target[i] = samples.get(i)[2];
    }
    return new Result(
        policyName,
        counted,
        hits,
        cold,
        idleIntegral / (trace.durationS() - WARMUP_S),
        peakIdle,
        idleIntegral,
        ts,
        idle,
        target);
  }
}
