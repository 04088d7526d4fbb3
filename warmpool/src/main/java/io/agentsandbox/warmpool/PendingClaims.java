package io.agentsandbox.warmpool;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.TreeMap;

/**
 * Claims waiting for a warm sandbox, served by priority (highest first), then round-robin across
 * tenants (deficit round-robin with unit cost: one claim per tenant per turn, so a tenant that
 * floods the pool cannot starve a tenant with one claim), then FIFO within a tenant. Owned by the
 * pool's owner thread; not thread-safe.
 *
 * <p>Removal from the middle (expiry, cancellation) marks the claim dead and fixes the counts at
 * once; the entry itself is dropped when it reaches the head (or, for {@link #displaceableFor}, the
 * tail) of its tenant's queue.
 *
 * <p>It also keeps each tenant's waiting count over all priorities, bucketed by count, so the
 * tenant with the most waiting claims is found in O(1) for fair admission ({@link
 * #displaceableFor}).
 */
final class PendingClaims {

  private static final class TenantQueue {
    final String tenant;
    final int priority;
    final TenantLoad load;
    final ArrayDeque<ParkedClaim> claims = new ArrayDeque<>();
    int live;
    boolean inRotation;

    TenantQueue(String tenant, int priority, TenantLoad load) {
      this.tenant = tenant;
      this.priority = priority;
      this.load = load;
    }
  }

  private static final class Level {
    final HashMap<String, TenantQueue> tenants = new HashMap<>();
    final ArrayDeque<TenantQueue> rotation = new ArrayDeque<>();
    int live;
  }

  /** One tenant's waiting claims over all priorities; linked into the bucket of its count. */
  private static final class TenantLoad {
    final String tenant;

    /** The tenant's queues by priority, lowest first. */
    final TreeMap<Integer, TenantQueue> queues = new TreeMap<>();

    int live;
    TenantLoad prev;
    TenantLoad next;

    TenantLoad(String tenant) {
      this.tenant = tenant;
    }
  }

  // Highest priority first.
  private final TreeMap<Integer, Level> levels = new TreeMap<>((a, b) -> Integer.compare(b, a));
  private int live;
  private final HashMap<String, TenantLoad> loads = new HashMap<>();

  /** byCount[n]: head of the list of tenants with exactly n waiting claims (n >= 1). */
  private TenantLoad[] byCount = new TenantLoad[16];

  private int maxLoad;

  int size() {
    return live;
  }

  void add(ParkedClaim claim) {
    int priority = claim.ticket.request().priority();
    String tenant = claim.ticket.request().tenant();
    Level level = levels.computeIfAbsent(priority, p -> new Level());
    TenantQueue q = level.tenants.get(tenant);
    if (q == null) {
      TenantLoad load = loads.computeIfAbsent(tenant, TenantLoad::new);
      q = new TenantQueue(tenant, priority, load);
      level.tenants.put(tenant, q);
      load.queues.put(priority, q);
    }
    q.claims.addLast(claim);
    q.live++;
    level.live++;
    live++;
    raise(q.load);
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
      // NOTE: a level with live claims always has a rotation entry for each tenant with live
      // claims.
      q.live--;
      level.live--;
      live--;
      lower(q.load);
      if (q.live > 0) {
        level.rotation.addLast(q);
      } else {
        q.inRotation = false;
        q.claims.clear();
        level.tenants.remove(q.tenant);
        dropQueue(q);
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

  /** Counts out a claim that leaves from the middle (expired, cancelled or displaced). */
  void remove(ParkedClaim claim) {
    if (claim.dead) return;
    claim.dead = true;
    Level level = levels.get(claim.ticket.request().priority());
    TenantQueue q = level.tenants.get(claim.ticket.request().tenant());
    q.live--;
    level.live--;
    live--;
    lower(q.load);
    if (q.live == 0) {
      q.claims.clear();
      q.inRotation = false;
      level.rotation.remove(q);
      level.tenants.remove(q.tenant);
      dropQueue(q);
    }
    if (level.live == 0) levels.remove(claim.ticket.request().priority());
  }

  /** Drains every waiting claim, in service order. */
  void drainTo(java.util.function.Consumer<ParkedClaim> sink) {
    ParkedClaim c;
    while ((c = poll()) != null) sink.accept(c);
  }

  // ---------------------------------------------------------------- fair admission

  /** Claims of this tenant waiting, over all priorities. */
  int waitingOf(String tenant) {
    TenantLoad load = loads.get(tenant);
    return load == null ? 0 : load.live;
  }

  /** The most claims any one tenant has waiting. */
  int maxWaitingOfATenant() {
    return maxLoad;
  }

  /**
   * The waiting claim that should give way so that a new claim of {@code tenant} at {@code
   * priority} can wait in a full room (max-min fairness), or null when none should and the newcomer
   * is the one to refuse. The candidate is the claim the tenant with the most waiting claims would
   * have served last (its lowest priority class, newest in it). It gives way only when, counting
   * the newcomer, {@code tenant} would still have fewer waiting claims than that tenant (a tie
   * refuses the newcomer: swapping would not make the room fairer, only churn it), and only when
   * its priority is not above {@code priority}. The claim is not removed: the caller ends it and
   * calls {@link #remove}. O(log p) for p priority classes of that tenant; amortised O(1)
   * otherwise.
   */
  ParkedClaim displaceableFor(String tenant, int priority) {
    if (maxLoad == 0) return null;
    TenantLoad heaviest = byCount[maxLoad];
    if (waitingOf(tenant) + 1 >= heaviest.live) return null;
    TenantQueue lowest = heaviest.queues.firstEntry().getValue();
    if (lowest.priority > priority) return null;
    ParkedClaim c;
    while ((c = lowest.claims.peekLast()).dead) {
      lowest.claims.pollLast(); // dropped lazily, as at the head
    }
    return c;
  }

  private void raise(TenantLoad load) {
    if (load.live > 0) unlink(load);
    load.live++;
    link(load);
    if (load.live > maxLoad) maxLoad = load.live;
  }

  private void lower(TenantLoad load) {
    int was = load.live;
    unlink(load);
    load.live--;
    if (load.live > 0) link(load);
    else loads.remove(load.tenant);
    // The tenant now sits at was - 1, so that bucket is the new maximum when `was` emptied.
    if (was == maxLoad && byCount[was] == null) maxLoad = was - 1;
  }

  private void dropQueue(TenantQueue q) {
    q.load.queues.remove(q.priority);
  }

  private void link(TenantLoad load) {
    int n = load.live;
    if (n >= byCount.length) byCount = Arrays.copyOf(byCount, Math.max(n + 1, byCount.length * 2));
    TenantLoad head = byCount[n];
    load.prev = null;
    load.next = head;
    if (head != null) head.prev = load;
    byCount[n] = load;
  }

  private void unlink(TenantLoad load) {
    if (load.prev != null) load.prev.next = load.next;
    else byCount[load.live] = load.next;
    if (load.next != null) load.next.prev = load.prev;
    load.prev = null;
    load.next = null;
  }
}
