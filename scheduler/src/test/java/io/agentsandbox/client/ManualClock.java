package io.agentsandbox.client;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** A clock tests move by hand; its sleeper records each wait and advances the clock by it. */
final class ManualClock extends Clock {
  private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

  void advance(Duration d) {
    now = now.plus(d);
  }

  Sleeper recordingSleeper(List<Duration> waits) {
    return delay -> {
      synchronized (waits) {
        waits.add(delay);
      }
      advance(delay);
      return CompletableFuture.completedFuture(null);
    };
  }

  @Override
  public Instant instant() {
    return now;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
