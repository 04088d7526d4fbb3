package io.agentsandbox.scheduler.pools;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.model.RuntimeClass;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The declared pools, as the HTTP edge sees them: it uses the catalog only to turn a claim by
 * template and runtime class into a pool key. The shards own the pools' state. Any thread may read
 * it: the content is an immutable snapshot behind a volatile reference (copy on write); with {@code
 * --backend kubernetes} the informer thread {@link #put puts} and {@link #remove removes} pools as
 * the cluster's {@code SandboxWarmPool}s come and go (rare, so copying is fine).
 */
public final class PoolCatalog {

  private record Snapshot(List<PoolSpec> pools, Map<PoolKey, PoolSpec> byKey) {
    static Snapshot of(List<PoolSpec> pools) {
      Map<PoolKey, PoolSpec> m = new LinkedHashMap<>();
      for (PoolSpec p : pools) m.put(p.key(), p);
      return new Snapshot(List.copyOf(m.values()), Map.copyOf(m));
    }
  }

  private volatile Snapshot snapshot;

  public PoolCatalog(List<PoolSpec> pools) {
    this.snapshot = Snapshot.of(pools);
  }

  public List<PoolSpec> pools() {
    return snapshot.pools();
  }

  public PoolSpec get(PoolKey key) {
    return snapshot.byKey().get(key);
  }

  /**
   * Adds or replaces a pool. Any thread (writers are serialised by this object's monitor; readers
   * never wait).
   */
  public synchronized void put(PoolSpec spec) {
    List<PoolSpec> next = new ArrayList<>(snapshot.pools());
    next.removeIf(p -> p.key().equals(spec.key()));
    next.add(spec);
    snapshot = Snapshot.of(next);
  }

  /** Removes a pool; unknown keys are ignored. Any thread. */
  public synchronized void remove(PoolKey key) {
    if (!snapshot.byKey().containsKey(key)) return;
    List<PoolSpec> next = new ArrayList<>(snapshot.pools());
    next.removeIf(p -> p.key().equals(key));
    snapshot = Snapshot.of(next);
  }

  /**
   * The first declared pool of a template in a namespace, optionally with a given runtime class.
   *
   * @param runtimeClass null for any
   * @return null when none matches
   */
  public PoolSpec findByTemplate(String namespace, String template, RuntimeClass runtimeClass) {
    for (PoolSpec p : snapshot.pools()) {
      if (p.key().namespace().equals(namespace)
          && p.blueprint().templateName().equals(template)
          && (runtimeClass == null || p.runtimeClass().equals(runtimeClass))) {
        return p;
      }
    }
    return null;
  }
}
