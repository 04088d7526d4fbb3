package io.agentsandbox.client;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Waits before a retry without holding a thread. The default schedules on {@link
 * CompletableFuture#delayedExecutor}; tests inject one that completes at once and advances their
 * clock ({@link AgentSandboxClient.Builder#sleeper}).
 */
@FunctionalInterface
public interface Sleeper {

  /** A future that completes once {@code delay} has passed. */
  CompletableFuture<Void> after(Duration delay);

  /** The real one. */
  static Sleeper system() {
    return delay ->
        CompletableFuture.runAsync(
            () -> {}, CompletableFuture.delayedExecutor(delay.toNanos(), TimeUnit.NANOSECONDS));
  }
}
