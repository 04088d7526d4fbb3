package io.agentsandbox.scheduler.backend.local;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sandboxes this backend knows (starting, ready or being deleted), by id. Thread-safe: the
 * lifecycle workers add and remove, every other thread looks up.
 */
final class SandboxTable {
  private final ConcurrentHashMap<String, LocalSandbox> byId = new ConcurrentHashMap<>();

  LocalSandbox get(String id) {
    return byId.get(id);
  }

  /** Adds {@code sb}; false when its id is taken. */
  boolean add(LocalSandbox sb) {
    return byId.putIfAbsent(sb.id, sb) == null;
  }

  void remove(LocalSandbox sb) {
    byId.remove(sb.id, sb);
  }

  boolean contains(String id) {
    return byId.containsKey(id);
  }

  List<LocalSandbox> snapshot() {
    return new ArrayList<>(byId.values());
  }

  int size() {
    return byId.size();
  }
}
