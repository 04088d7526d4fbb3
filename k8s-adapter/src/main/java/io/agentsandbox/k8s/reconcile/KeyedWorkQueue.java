package io.agentsandbox.k8s.reconcile;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A de-duplicating work queue of object keys, like client-go's workqueue: a key waits at most once,
 * is handed to one worker at a time, and a key added while it is being processed is queued again
 * when that worker calls {@link #done}. Failed keys are retried with exponential backoff plus
 * jitter. Thread-safe (one monitor; this is the reconcile path, never the claim path).
 */
final class KeyedWorkQueue {

  private static final long BASE_BACKOFF_MS = 50;
  private static final long MAX_BACKOFF_MS = 30_000;

  private final ScheduledExecutorService timer;
  // Guarded by this
  private final ArrayDeque<String> queue = new ArrayDeque<>();
  private final Set<String> dirty = new HashSet<>();
  private final Set<String> processing = new HashSet<>();
  private final Map<String, Integer> failures = new HashMap<>();
  private boolean shutdown;

  KeyedWorkQueue(ScheduledExecutorService timer) {
    this.timer = timer;
  }

  /** Queues {@code key} unless it is already waiting. Any thread. */
  synchronized void add(String key) {
    if (shutdown || !dirty.add(key)) return;
    if (!processing.contains(key)) {
      queue.add(key);
      notify();
    }
  }

  /** Queues {@code key} after {@code delayMs}. Any thread. */
  void addAfter(String key, long delayMs) {
    if (delayMs <= 0) {
      add(key);
      return;
    }
    synchronized (this) {
      if (shutdown) return;
    }
    try {
      timer.schedule(() -> add(key), delayMs, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // the loop closed between the check and the schedule: the key has no one left to run it
    }
  }

  /** Queues {@code key} after its next backoff delay (50 ms doubling to 30 s, +-25% jitter). */
  void addRateLimited(String key) {
    int n;
    synchronized (this) {
      n = failures.merge(key, 1, Integer::sum);
    }
    long delay = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS << Math.min(20, n - 1));
    delay += (long) (delay * (ThreadLocalRandom.current().nextDouble() - 0.5) * 0.5);
    addAfter(key, delay);
  }

  /** Clears the backoff of {@code key} after a successful pass. */
  synchronized void forget(String key) {
    failures.remove(key);
  }

  /** Blocks until a key is available; null after {@link #shutdown}. Worker threads only. */
  synchronized String take() throws InterruptedException {
    while (queue.isEmpty() && !shutdown) wait();
    if (shutdown) return null;
    String key = queue.poll();
    dirty.remove(key);
    processing.add(key);
    return key;
  }

  /** Marks {@code key} processed; re-queues it if it was added meanwhile. */
  synchronized void done(String key) {
    processing.remove(key);
    if (dirty.contains(key)) {
      queue.add(key);
      notify();
    }
  }

  synchronized int depth() {
    return queue.size();
  }

  synchronized void shutdown() {
    shutdown = true;
    notifyAll();
  }
}
