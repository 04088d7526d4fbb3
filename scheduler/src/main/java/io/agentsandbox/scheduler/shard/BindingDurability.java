package io.agentsandbox.scheduler.shard;

import io.agentsandbox.core.model.BindingRecord;
import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.ClaimRequest;
import io.agentsandbox.core.model.ClaimTicket;
import io.agentsandbox.core.model.RecoveredSandbox;
import io.agentsandbox.core.model.RejectReason;
import io.agentsandbox.core.port.BindingStore;
import io.agentsandbox.core.port.NanoClock;
import io.agentsandbox.scheduler.logging.ClaimLog;
import io.agentsandbox.warmpool.ClaimView;
import io.agentsandbox.warmpool.WarmPool;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One shard's side of the {@link BindingStore}: persist before reply, and bindings of a previous
 * run turned back into claims. Owned by its shard's event loop; not thread-safe.
 *
 * <p>With a real store, a claim's binding is made durable before its ticket is completed: the
 * store's answer comes back through the shard's inbox as a {@link ShardCommand.BindingPersisted}
 * control message, and the ticket stays the shard's meanwhile (R4). With {@link BindingStore#NOOP}
 * the ticket is completed at once, on the shard's thread.
 */
final class BindingDurability {

  private static final Logger LOG = LoggerFactory.getLogger(BindingDurability.class);

  private final int shard;
  private final BindingStore store;
  private final NanoClock clock;
  private final long retryAfterMs;
  private final Consumer<ShardCommand> inbox;
  private final BiConsumer<ClaimTicket, ClaimOutcome.Rejected> reject;

  /**
   * @param retryAfterMs {@code Retry-After} of a claim whose binding could not be made durable
   * @param inbox the shard's control queue (any thread)
   * @param reject logs a rejection and completes the ticket with it (shard loop)
   */
  BindingDurability(
      int shard,
      BindingStore store,
      NanoClock clock,
      long retryAfterMs,
      Consumer<ShardCommand> inbox,
      BiConsumer<ClaimTicket, ClaimOutcome.Rejected> reject) {
    this.shard = shard;
    this.reject = reject;
    this.store = store;
    this.clock = clock;
    this.retryAfterMs = retryAfterMs;
    this.inbox = inbox;
  }

  /** A pool bound a claim: persist it, then acknowledge (at once with no store). */
  void bindingMade(ClaimTicket ticket, ClaimOutcome.Assigned assigned) {
    if (store.isNoop()) {
      acknowledge(ticket, assigned);
      return;
    }
    ClaimRequest r = ticket.request();
    long expiresAtEpochMs = 0;
    if (assigned.expiresAtNs() != 0) {
      long left = Math.max(0, assigned.expiresAtNs() - clock.nanoTime());
      expiresAtEpochMs = System.currentTimeMillis() + TimeUnit.NANOSECONDS.toMillis(left);
    }
    BindingRecord record =
        new BindingRecord(
            r.claimId(),
            r.pool(),
            assigned.sandbox().name(),
            r.tenant(),
            r.priority(),
            r.onEmpty(),
            assigned.launchType(),
            TimeUnit.NANOSECONDS.toMillis(r.ttlNs()),
            expiresAtEpochMs);
    // The ticket stays the shard's: it travels back into this inbox with the store's answer (R4).
    store.persist(
        record,
        failure -> inbox.accept(new ShardCommand.BindingPersisted(ticket, assigned, failure)));
  }

  private void acknowledge(ClaimTicket ticket, ClaimOutcome.Assigned assigned) {
    ClaimLog.bound(ticket, assigned, shard, clock.nanoTime());
    ticket.complete(assigned);
  }

  /** A claim ended: its binding is forgotten. */
  void claimEnded(String claimId) {
    if (!store.isNoop()) store.remove(claimId);
  }

  /**
   * The store answered: acknowledge the claim, unless it ended meanwhile or the store failed.
   *
   * @param pool the pool that holds the claim now, or null
   */
  void onPersisted(ShardCommand.BindingPersisted c, WarmPool pool, long nowNs) {
    ClaimTicket ticket = c.ticket();
    String claimId = ticket.request().claimId();
    ClaimView view = pool == null ? null : pool.findClaim(claimId);
    boolean stillBound = view != null && view.assignment() == c.assigned();
    if (c.failure() == null && stillBound) {
      acknowledge(ticket, c.assigned());
      return;
    }
    if (c.failure() != null) {
      LOG.warn(
          "shard {}: binding of claim {} could not be made durable; releasing it: {}",
          shard,
          claimId,
          c.failure().toString());
      if (stillBound) pool.release(claimId, nowNs);
      reject.accept(
          ticket,
          new ClaimOutcome.Rejected(
              RejectReason.BINDING_NOT_DURABLE,
              "the claim's binding could not be recorded durably: " + c.failure().getMessage(),
              retryAfterMs));
    } else {
      store.remove(claimId);
      reject.accept(
          ticket,
          new ClaimOutcome.Rejected(
              RejectReason.PROVISION_FAILED,
              "the claim's sandbox ended before the claim was acknowledged",
              retryAfterMs));
    }
  }

  /**
   * Re-adopts sandboxes of a previous run (restart recovery), before the pool's first tick: an
   * unbound one joins the pool as ready, a bound one is bound again to its claim, which is entered
   * in {@code claims}.
   */
  void readopt(WarmPool pool, List<RecoveredSandbox> recovered, ClaimIndex claims, long nowNs) {
    if (recovered.isEmpty()) return;
    long wallNow = System.currentTimeMillis();
    int bound = 0;
    for (RecoveredSandbox sb : recovered) {
      BindingRecord b = sb.binding();
      if (b == null) {
        pool.adoptReady(sb.sandboxName(), sb.addresses(), nowNs);
        continue;
      }
      long expiresAtNs = 0;
      if (b.expiresAtEpochMs() != 0)
        expiresAtNs =
            nowNs + TimeUnit.MILLISECONDS.toNanos(Math.max(0, b.expiresAtEpochMs() - wallNow));
      ClaimRequest claim =
          new ClaimRequest(
              b.claimId(),
              pool.key(),
              b.tenant(),
              b.priority(),
              b.onEmpty(),
              0,
              TimeUnit.MILLISECONDS.toNanos(b.ttlMs()),
              nowNs);
      pool.adoptBound(sb.sandboxName(), sb.addresses(), claim, b.launchType(), expiresAtNs, nowNs);
      claims.put(b.claimId(), pool);
      bound++;
    }
    LOG.info(
        "shard {}: pool {} re-adopted {} sandbox(es) of the previous run ({} bound to claims)",
        shard,
        pool.key(),
        recovered.size(),
        bound);
  }
}
