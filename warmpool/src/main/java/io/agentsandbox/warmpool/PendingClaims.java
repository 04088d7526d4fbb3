package io.agentsandbox.warmpool;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.TreeMap;

/**
 * Claims waiting for a warm sandbox, served by priority (highest first), then round-robin across
 * tenants (deficit round-robin with unit cost: one claim per tenant per turn, so a tenant that
 * floods the pool cannot starve a tenant with one claim), then FIFO within a tenant. Owned by the
 * pool's owner thread; not thread-safe.
 *
 * <p>Removal from the middle (expiry, cancellation) marks the claim dead and fixes the counts at
 * once; the entry itself is dropped when it reaches the head of its tenant's queue.
 */
final class PendingClaims {

  private static final class TenantQueue {
    final String tenant;
    final ArrayDeque<ParkedClaim> claims = new ArrayDeque<>();
    int live;
    boolean inRotation;

    TenantQueue(String tenant) {
      this.tenant = tenant;
    }
  }

  private static final class Level {
    final HashMap<String, TenantQueue> tenants = new HashMap<>();
    final ArrayDeque<TenantQueue> rotation = new ArrayDeque<>();
    int live;
  }

  // Highest priority first.
  private final TreeMap<Integer, Level> levels = new TreeMap<>((a, b) -> Integer.compare(b, a));
  private int live;

  int size() {
    return live;
  }

  void add(ParkedClaim claim) {
    int priority = claim.ticket.request().priority();
    String tenant = claim.ticket.request().tenant();
    Level level = levels.computeIfAbsent(priority, p -> new Level());
    TenantQueue q = level.tenants.computeIfAbsent(tenant, TenantQueue::new);
    q.claims.addLast(claim);
    q.live++;
    level.live++;
    live++;
    if (!q.inRotation) {
      q.inRotation = true;
      level.rotation.addLast(q);
    }
  }

  /** Takes the next claim to serve, or null when none waits. */
  ParkedClaim poll() {
    while (!levels.isEmpty()) {
      var entry = levels.firstEntry();
      Level level = entry.getValue();
      if (level.live == 0) {
        levels.pollFirstEntry();
        continue;
      }
      TenantQueue q = level.rotation.pollFirst();
      ParkedClaim head = pollLive(q);
      // NOTE: a level with live claims always has a rotation entry for each tenant with live claims.
      q.live--;
      level.live--;
      live--;
      if (q.live > 0) {
        level.rotation.addLast(q);
      } else {
        q.inRotation = false;
        q.claims.clear();
        level.tenants.remove(q.tenant);
      }
      if (level.live == 0) levels.pollFirstEntry();
      head.dead = true;
      return head;
    }
    return null;
  }

  private static ParkedClaim pollLive(TenantQueue q) {
    ParkedClaim c;
    while ((c = q.claims.pollFirst()).dead) {
      // dropped lazily: already counted out by remove()
    }
    return c;
  }

  /** Counts out a claim that leaves from the middle (expired or cancelled). */
  void remove(ParkedClaim claim) {
    if (claim.dead) return;
    claim.dead = true;
    Level level = levels.get(claim.ticket.request().priority());
    TenantQueue q = level.tenants.get(claim.ticket.request().tenant());
    q.live--;
    level.live--;
    live--;
    if (q.live == 0) {
      q.claims.clear();
      q.inRotation = false;
      level.rotation.remove(q);
      level.tenants.remove(q.tenant);
    }
    if (level.live == 0) levels.remove(claim.ticket.request().priority());
  }

  /** Drains every waiting claim, in service order. */
  void drainTo(java.util.function.Consumer<ParkedClaim> sink) {
    ParkedClaim c;
    while ((c = poll()) != null) sink.accept(c);
  }
}
