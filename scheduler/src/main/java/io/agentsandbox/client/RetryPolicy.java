package io.agentsandbox.client;

import java.time.Duration;

/**
 * How the client retries answers that mean "not now": {@code 429} and {@code 503}. It waits what
 * the server's {@code Retry-After} says (or {@link #defaultDelay()} when the answer has none),
 * capped at {@link #maxDelay()}, and gives up — surfacing {@link QuotaExceededException} or {@link
 * OverloadedException} — when {@link #maxRetries()} retries were made or when the next wait would
 * end past {@link #maxTotal()} since the first attempt. These answers change nothing on the server
 * (a rejected claim holds no sandbox, a busy exec did not run), so retrying is safe for every call.
 * No other status and no transport failure is retried.
 *
 * @param maxRetries retries after the first attempt (0 = never retry)
 * @param maxTotal the whole budget, first attempt included
 * @param maxDelay longest single wait (a longer {@code Retry-After} is shortened to it)
 * @param defaultDelay the wait when a 429/503 has no {@code Retry-After}
 */
public record RetryPolicy(
    int maxRetries, Duration maxTotal, Duration maxDelay, Duration defaultDelay) {

  /** Validates. */
  public RetryPolicy {
    if (maxRetries < 0) throw new IllegalArgumentException("maxRetries must be >= 0");
    if (maxTotal == null || maxTotal.isNegative())
      throw new IllegalArgumentException("maxTotal must be >= 0");
    if (maxDelay == null || maxDelay.isNegative())
      throw new IllegalArgumentException("maxDelay must be >= 0");
    if (defaultDelay == null || defaultDelay.isNegative())
      throw new IllegalArgumentException("defaultDelay must be >= 0");
  }

  /** 3 retries within 30 s, each wait at most 10 s, 1 s when the server gives no Retry-After. */
  public static RetryPolicy defaults() {
    return new RetryPolicy(
        3, Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(1));
  }

  /** Never retry: the first 429/503 is surfaced. */
  public static RetryPolicy none() {
    return new RetryPolicy(0, Duration.ZERO, Duration.ZERO, Duration.ZERO);
  }
}
