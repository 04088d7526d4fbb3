package io.agentsandbox.client;

import java.time.Duration;

/**
 * How to claim: how long to wait, what to do on an empty pool, tenant, priority, TTL. Immutable;
 * start from {@link #defaults()} and use the {@code with...} methods. A null field is left out of
 * the request, so the server's default applies (wait 10 s, {@code onEmpty: wait}, priority 0, TTL 1
 * h, the tenant of the API token or {@code default}).
 *
 * <pre>{@code
 * ClaimOptions options =
 *     ClaimOptions.defaults().withWait(Duration.ofSeconds(30)).withOnEmpty(OnEmpty.COLD);
 * }</pre>
 *
 * @param waitTime how long the server may wait for a sandbox ({@code waitMs}; server max 5 min)
 * @param onEmpty what to do when the pool has no ready sandbox
 * @param tenant the tenant for fairness and quotas (with API tokens: must be the token's)
 * @param priority -1000..1000, higher first among waiting claims
 * @param ttl release automatically after this long ({@link Duration#ZERO} = never)
 */
public record ClaimOptions(
    Duration waitTime, OnEmpty onEmpty, String tenant, Integer priority, Duration ttl) {

  private static final ClaimOptions DEFAULTS = new ClaimOptions(null, null, null, null, null);

  /** Every field left to the server's default. */
  public static ClaimOptions defaults() {
    return DEFAULTS;
  }

  /** With {@code waitMs}. */
  public ClaimOptions withWait(Duration waitTime) {
    return new ClaimOptions(waitTime, onEmpty, tenant, priority, ttl);
  }

  /** With {@code onEmpty}. */
  public ClaimOptions withOnEmpty(OnEmpty onEmpty) {
    return new ClaimOptions(waitTime, onEmpty, tenant, priority, ttl);
  }

  /** With {@code tenant}. */
  public ClaimOptions withTenant(String tenant) {
    return new ClaimOptions(waitTime, onEmpty, tenant, priority, ttl);
  }

  /** With {@code priority}. */
  public ClaimOptions withPriority(int priority) {
    return new ClaimOptions(waitTime, onEmpty, tenant, priority, ttl);
  }

  /** With {@code ttlSeconds} (whole seconds; {@link Duration#ZERO} = never). */
  public ClaimOptions withTtl(Duration ttl) {
    return new ClaimOptions(waitTime, onEmpty, tenant, priority, ttl);
  }
}
