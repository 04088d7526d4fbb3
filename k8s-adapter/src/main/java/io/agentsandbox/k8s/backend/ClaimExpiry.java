package io.agentsandbox.k8s.backend;

import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.crd.SandboxClaimSpec;
import io.agentsandbox.k8s.crd.SandboxConditions;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.Consumer;

/**
 * The {@code SandboxClaim} expiry timer ({@code spec.lifecycle}): the effective expiry is the
 * earlier of {@code shutdownTime} and {@code Finished.lastTransitionTime + ttlSecondsAfterFinished}
 * (upstream's {@code internal/lifecycle/expiry.go}). Claims are {@link #schedule scheduled} by key
 * ({@code namespace/name}); {@link #tick} hands every due key to the callback once. Time comes from
 * the {@link Clock} (a fixed or manual clock in tests). Thread-safe: a small monitor guards the
 * heap (never taken on an event loop: callers are informer and I/O threads and the timer thread).
 */
final class ClaimExpiry {

  private record Entry(String key, Instant at) {}

  private final Clock clock;
  private final Consumer<String> onExpired;
  // Guarded by this
  private final PriorityQueue<Entry> heap = new PriorityQueue<>((a, b) -> a.at.compareTo(b.at));
  private final Map<String, Entry> byKey = new HashMap<>();

  ClaimExpiry(Clock clock, Consumer<String> onExpired) {
    this.clock = clock;
    this.onExpired = onExpired;
  }

  /**
   * The claim's effective expiry, or null for none.
   *
   * @throws IllegalArgumentException when {@code shutdownTime} is not an RFC 3339 time
   */
  static Instant expiryOf(SandboxClaim c) {
    SandboxClaimSpec.Lifecycle l = c.getSpec() == null ? null : c.getSpec().getLifecycle();
    if (l == null) return null;
    Instant at = null;
    if (l.getShutdownTime() != null && !l.getShutdownTime().isEmpty()) {
      try {
        at = OffsetDateTime.parse(l.getShutdownTime()).toInstant();
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(
            "spec.lifecycle.shutdownTime is not an RFC 3339 time: '" + l.getShutdownTime() + "'");
      }
    }
    if (l.getTtlSecondsAfterFinished() != null) {
      Condition f = ClaimStatusWriter.condition(c, SandboxConditions.FINISHED);
      if (f != null && "True".equals(f.getStatus()) && f.getLastTransitionTime() != null) {
        try {
          Instant t =
              OffsetDateTime.parse(f.getLastTransitionTime())
                  .toInstant()
                  .plusSeconds(l.getTtlSecondsAfterFinished());
          if (at == null || t.isBefore(at)) at = t;
        } catch (DateTimeParseException ignored) {
          // a malformed condition time: shutdownTime alone applies
        }
      }
    }
    return at;
  }

  /** True when {@code at} is not in the future. */
  boolean isDue(Instant at) {
    return at != null && !clock.instant().isBefore(at);
  }

  /** Sets (or moves, or with null clears) the expiry of {@code key}. */
  synchronized void schedule(String key, Instant at) {
    Entry old = byKey.remove(key);
    if (old != null) heap.remove(old);
    if (at == null) return;
    Entry e = new Entry(key, at);
    byKey.put(key, e);
    heap.add(e);
  }

  /** Hands every key due by now to the callback (outside the monitor), once. */
  void tick() {
    List<String> due = new ArrayList<>();
    Instant now = clock.instant();
    synchronized (this) {
      while (!heap.isEmpty() && !heap.peek().at.isAfter(now)) {
        Entry e = heap.poll();
        byKey.remove(e.key);
        due.add(e.key);
      }
    }
    for (String k : due) onExpired.accept(k);
  }

  synchronized int size() {
    return byKey.size();
  }
}
