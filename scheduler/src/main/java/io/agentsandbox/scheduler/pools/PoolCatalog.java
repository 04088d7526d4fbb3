package io.agentsandbox.scheduler.pools;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.model.RuntimeClass;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The pools declared at start-up. Immutable, so any thread may read it: the HTTP edge uses it only
 * to turn a claim by template and runtime class into a pool key; the shards own the pools' state.
 */
public final class PoolCatalog {

  private final List<PoolSpec> pools;
  private final Map<PoolKey, PoolSpec> byKey;

  public PoolCatalog(List<PoolSpec> pools) {
    this.pools = List.copyOf(pools);
    Map<PoolKey, PoolSpec> m = new LinkedHashMap<>();
    for (PoolSpec p : pools) m.put(p.key(), p);
    this.byKey = Map.copyOf(m);
  }

  public List<PoolSpec> pools() {
    return pools;
  }

  public PoolSpec get(PoolKey key) {
    return byKey.get(key);
  }

  /**
   * The first declared pool of a template in a namespace, optionally with a given runtime class.
   *
   * @param runtimeClass null for any
   * @return null when none matches
   */
  public PoolSpec findByTemplate(String namespace, String template, RuntimeClass runtimeClass) {
    for (PoolSpec p : pools) {
      if (p.key().namespace().equals(namespace)
          && p.blueprint().templateName().equals(template)
          && (runtimeClass == null || p.runtimeClass().equals(runtimeClass))) {
        return p;
      }
    }
    return null;
  }
}
