package io.agentsandbox.core.testing;

import io.agentsandbox.core.port.NanoClock;
import java.util.concurrent.TimeUnit;

/** A clock that moves only when a test says so. Single-threaded use. */
public final class ManualClock implements NanoClock {
  private long nowNs;

  public ManualClock() {
    this(1_000_000_000L);
  }

  public ManualClock(long startNs) {
    this.nowNs = startNs;
  }

  @Override
  public long nanoTime() {
    return nowNs;
  }

  public long advance(long amount, TimeUnit unit) {
    nowNs += unit.toNanos(amount);
    return nowNs;
  }

  public long advanceMs(long ms) {
    return advance(ms, TimeUnit.MILLISECONDS);
  }
}
