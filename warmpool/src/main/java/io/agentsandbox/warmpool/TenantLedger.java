package io.agentsandbox.warmpool;

import java.util.HashMap;

/**
 * Claims each tenant holds in one pool (bound or waiting), for the per-tenant cap. Owned by the
 * pool's owner thread; not thread-safe; pure.
 *
 * <p>An entry that drops to 0 is kept, so a returning tenant costs no allocation; {@link #sweep}
 * drops them once there are many, so arbitrary tenant names cannot pile up.
 */
final class TenantLedger {

  /** Above this many tenants, {@link #sweep} drops those holding nothing. */
  static final int SWEEP_ABOVE = 256;

  private final HashMap<String, int[]> held = new HashMap<>();

  /** True when the tenant holds at least {@code cap} claims. */
  boolean isAtCap(String tenant, int cap) {
    int[] h = held.get(tenant);
    return h != null && h[0] >= cap;
  }

  /** Claims the tenant holds. */
  int held(String tenant) {
    int[] h = held.get(tenant);
    return h == null ? 0 : h[0];
  }

  /** The tenant took ({@code +1}) or gave up ({@code -1}) a claim. */
  void add(String tenant, int delta) {
    int[] h = held.get(tenant);
    if (h == null) {
      h = new int[1];
      held.put(tenant, h);
    }
    h[0] += delta;
  }

  /** Drops tenants holding nothing, once there are more than {@link #SWEEP_ABOVE}. */
  void sweep() {
    if (held.size() > SWEEP_ABOVE) held.values().removeIf(h -> h[0] <= 0);
  }

  /** Tenants with an entry (holding claims or not yet swept). */
  int tenants() {
    return held.size();
  }
}
