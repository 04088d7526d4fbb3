package io.agentsandbox.bench.warmpool;

import io.agentsandbox.bench.Fixtures;
import io.agentsandbox.core.model.ClaimRequest;
import io.agentsandbox.warmpool.WarmPool;
import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * Where {@link WarmPoolClaimBenchmark}'s bytes go: runs the same steady-state cycle and measures
 * the bytes the current thread allocates in each step ({@code com.sun.management.ThreadMXBean}),
 * after a warm-up long enough for escape analysis to have done its work. A diagnostic, not a
 * benchmark: {@code java -cp benchmarks.jar
 * io.agentsandbox.bench.warmpool.WarmPoolAllocationBreakdown [poolSize]}.
 */
public final class WarmPoolAllocationBreakdown {
  private WarmPoolAllocationBreakdown() {}

  public static void main(String[] args) {
    int poolSize = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
    com.sun.management.ThreadMXBean mx =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long tid = Thread.currentThread().getId();
    long now = 1_000_000_000L;
    WarmPoolClaimBenchmark.LastActions actions = new WarmPoolClaimBenchmark.LastActions();
    WarmPool pool = WarmPoolClaimBenchmark.warmPool(poolSize, actions, now);
    String claimId = "cl-0-benchbenchbenchbench";
    ClaimRequest request = Fixtures.claim(claimId, Fixtures.POOL, now);
    Fixtures.ReusableTicket ticket = new Fixtures.ReusableTicket(request);
    String[] steps = {"tryAssign", "release", "onSandboxDeleted", "onSandboxReady"};
    long[] bytes = new long[4];
    int rounds = 2_000_000;
    int measured = 200_000;
    for (int i = 0; i < rounds; i++) {
      boolean measure = i >= rounds - measured;
      ticket.reset();
      long a0 = measure ? mx.getThreadAllocatedBytes(tid) : 0;
      pool.tryAssign(ticket, now);
      long a1 = measure ? mx.getThreadAllocatedBytes(tid) : 0;
      pool.release(claimId, now);
      long a2 = measure ? mx.getThreadAllocatedBytes(tid) : 0;
      pool.onSandboxDeleted(actions.lastDeleted, now);
      long a3 = measure ? mx.getThreadAllocatedBytes(tid) : 0;
      pool.onSandboxReady(actions.lastCreated, Fixtures.ADDRESSES, now);
      long a4 = measure ? mx.getThreadAllocatedBytes(tid) : 0;
      if (measure) {
        bytes[0] += a1 - a0;
        bytes[1] += a2 - a1;
        bytes[2] += a3 - a2;
        bytes[3] += a4 - a3;
      }
    }
    // The probe itself: getThreadAllocatedBytes allocates nothing on HotSpot 17, checked here.
    long p0 = mx.getThreadAllocatedBytes(tid);
    long p1 = mx.getThreadAllocatedBytes(tid);
    System.out.printf(
        Locale.ROOT,
        "WarmPool claim cycle, pool size %d, mean bytes allocated per step over %,d cycles (probe cost %d B):%n",
        poolSize,
        measured,
        p1 - p0);
    long total = 0;
    for (int s = 0; s < 4; s++) {
      System.out.printf(
          Locale.ROOT, "  %-18s %7.1f B%n", steps[s], (double) bytes[s] / measured - (p1 - p0));
      total += bytes[s];
    }
    System.out.printf(
        Locale.ROOT, "  %-18s %7.1f B%n", "cycle", (double) total / measured - 4 * (p1 - p0));
  }
}
