package io.agentsandbox.scheduler.shard;

import io.agentsandbox.core.concurrent.MpscInbox;
import io.agentsandbox.core.concurrent.OwnerCheck;
import io.agentsandbox.core.model.BindingRecord;
import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.ClaimRequest;
import io.agentsandbox.core.model.ClaimTicket;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.model.PoolStats;
import io.agentsandbox.core.model.RecoveredSandbox;
import io.agentsandbox.core.model.RejectReason;
import io.agentsandbox.core.model.SandboxBlueprint;
import io.agentsandbox.core.port.BindingStore;
import io.agentsandbox.core.port.NanoClock;
import io.agentsandbox.core.port.ProvisionListener;
import io.agentsandbox.core.port.SandboxProvisioner;
import io.agentsandbox.core.port.SchedulerMetrics;
import io.agentsandbox.scheduler.shard.ShardCommand.ReadReply;
import io.agentsandbox.scheduler.shard.ShardCommand.ReleaseReply;
import io.agentsandbox.warmpool.ClaimView;
import io.agentsandbox.warmpool.CreationGate;
import io.agentsandbox.warmpool.PoolActions;
import io.agentsandbox.warmpool.SizingPolicy;
import io.agentsandbox.warmpool.WarmPool;
import io.agentsandbox.warmpool.WarmPoolPolicy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One shard of the claim scheduler: owns the warm pools routed to it and the index of their claims.
 * Owned by its shard's event loop; not thread-safe. Other threads reach it only through its {@link
 * MpscInbox} ({@link ShardProxy} for claims and commands, {@link #provisionListener()} for backend
 * results).
 *
 * <p>Persist before reply: when a {@link BindingStore} is configured, a claim's binding is made
 * durable before its ticket is completed (the store's answer comes back as a {@link
 * ShardCommand.BindingPersisted} control message); with {@link BindingStore#NOOP} the ticket is
 * completed at once, on the shard's thread.
 */
public final class PoolShard implements MpscInbox.Handler<ShardCommand, ClaimTicket>, PoolActions {

  private static final Logger LOG = LoggerFactory.getLogger(PoolShard.class);

  /** Default cap on claims waiting over all pools of one shard. */
  public static final int DEFAULT_MAX_WAITING_PER_SHARD = 50_000;

  private record PoolEntry(WarmPool pool, PoolStats stats) {}

  private final int index;
  private final NanoClock clock;
  private final SandboxProvisioner provisioner;
  private final SchedulerMetrics metrics;
  private final WarmPoolPolicy policy;
  private final SizingPolicy sizing;
  private final CreationGate gate;
  private final BindingStore bindingStore;
  private final int maxWaitingPerShard;
  private final MpscInbox<ShardCommand, ClaimTicket> inbox;
  private final OwnerCheck ownerCheck;
  private final ProvisionListener provisionListener = new InboxProvisionListener();

  // Shard loop only
  private final HashMap<PoolKey, PoolEntry> pools = new HashMap<>();

  /** Pools removed while claims still hold their sandboxes. */
  private final List<PoolEntry> draining = new ArrayList<>();

  private final HashMap<String, WarmPool> claims = new HashMap<>();
  private boolean shutDown;
  private long seed;

  /**
   * @param index this shard's number
   * @param claimQueueCapacity bound of the claim queue
   * @param drainLimit claims per drain turn
   * @param executor runs the drain task on this shard's event loop, one task at a time
   */
  public PoolShard(
      int index,
      int claimQueueCapacity,
      int drainLimit,
      Executor executor,
      NanoClock clock,
      SandboxProvisioner provisioner,
      SchedulerMetrics metrics,
      WarmPoolPolicy policy) {
    this(
        index,
        claimQueueCapacity,
        drainLimit,
        executor,
        clock,
        provisioner,
        metrics,
        policy,
        Options.DEFAULTS);
  }

  /**
   * The knobs beyond the warm-pool policy, validated once here.
   *
   * @param sizing demand-driven sizing knobs for autoscaled pools
   * @param gate per-runtime-class creation limits, shared by every shard
   * @param bindingStore where bindings are made durable before claims are acknowledged
   * @param maxWaitingPerShard hard cap on claims waiting over all of this shard's pools; a claim
   *     that finds its pool empty beyond it is answered {@link RejectReason#OVERLOADED} at once
   */
  public record Options(
      SizingPolicy sizing, CreationGate gate, BindingStore bindingStore, int maxWaitingPerShard) {

    /**
     * No autoscaling, no creation limits, no durable bindings, {@link
     * #DEFAULT_MAX_WAITING_PER_SHARD}.
     */
    public static final Options DEFAULTS =
        new Options(
            SizingPolicy.DEFAULTS,
            CreationGate.UNLIMITED,
            BindingStore.NOOP,
            DEFAULT_MAX_WAITING_PER_SHARD);

    public Options {
      if (maxWaitingPerShard < 1)
        throw new IllegalArgumentException("maxWaitingPerShard must be > 0: " + maxWaitingPerShard);
    }

    public Options withBindingStore(BindingStore store) {
      return new Options(sizing, gate, store, maxWaitingPerShard);
    }

    public Options withMaxWaitingPerShard(int max) {
      return new Options(sizing, gate, bindingStore, max);
    }
  }

  /**
   * @param options sizing, creation gate, binding store and waiting cap
   */
  public PoolShard(
      int index,
      int claimQueueCapacity,
      int drainLimit,
      Executor executor,
      NanoClock clock,
      SandboxProvisioner provisioner,
      SchedulerMetrics metrics,
      WarmPoolPolicy policy,
      Options options) {
    this.maxWaitingPerShard = options.maxWaitingPerShard();
    this.sizing = options.sizing();
    this.bindingStore = options.bindingStore();
    this.gate = options.gate();
    this.index = index;
    this.clock = clock;
    this.provisioner = provisioner;
    this.metrics = metrics;
    this.policy = policy;
    this.seed = 0x5DEECE66DL * (index + 1);
    this.inbox = new MpscInbox<>(claimQueueCapacity, drainLimit, executor, this);
    this.ownerCheck = inbox.ownerCheck();
  }

  public int index() {
    return index;
  }

  public MpscInbox<ShardCommand, ClaimTicket> inbox() {
    return inbox;
  }

  /** Where the backend posts results for this shard's sandboxes. Any thread. */
  public ProvisionListener provisionListener() {
    return provisionListener;
  }

  /**
   * True when the calling thread is this shard's owner: bound by the first drain or tick, outside
   * any assert, so the answer is the same with assertions on and off. Never binds. Any thread.
   */
  public boolean isOwnerThread() {
    return ownerCheck.isOwnerThread();
  }

  // ---------------------------------------------------------------- inbox handler

  @Override
  public void onClaim(ClaimTicket ticket) {
    assert ownerCheck.isOwnerThread() : "shard " + index + " claim off its loop";
    onSubmitClaim(ticket);
  }

  /** Handles one claim; the drain and the same-thread shortcut both come here. Shard loop only. */
  void onSubmitClaim(ClaimTicket ticket) {
    if (shutDown) {
      ticket.complete(
          new ClaimOutcome.Rejected(
              RejectReason.SHUTTING_DOWN, "the scheduler is shutting down", 1_000));
      return;
    }
    PoolKey key = ticket.request().pool();
    PoolEntry entry = pools.get(key);
    if (entry == null) {
      ticket.complete(
          new ClaimOutcome.Rejected(RejectReason.UNKNOWN_POOL, "no warm pool " + key, 0));
      return;
    }
    if (entry.pool.readyCount() == 0 && waitingInShard() >= maxWaitingPerShard) {
      refuseShardFull(entry.pool, ticket);
      return;
    }
    ClaimOutcome outcome = entry.pool.tryAssign(ticket, clock.nanoTime());
    if (!(outcome instanceof ClaimOutcome.Rejected))
      claims.put(ticket.request().claimId(), entry.pool);
  }

  /**
   * Claims waiting (warm or cold) over this shard's pools. Shard loop only; a short walk, slow path
   * only.
   */
  private int waitingInShard() {
    int n = 0;
    for (PoolEntry e : pools.values()) n += e.pool.pendingCount();
    return n;
  }

  private void refuseShardFull(WarmPool pool, ClaimTicket ticket) {
    pool.countRejected(RejectReason.OVERLOADED);
    ticket.complete(
        new ClaimOutcome.Rejected(
            RejectReason.OVERLOADED,
            "scheduler shard "
                + index
                + " already has "
                + maxWaitingPerShard
                + " claims waiting (its cap); retry later",
            policy.emptyRetryAfterMs()));
  }

  @Override
  public void onControl(ShardCommand command) {
    assert ownerCheck.isOwnerThread() : "shard " + index + " command off its loop";
    long now = clock.nanoTime();
    if (command instanceof ShardCommand.SandboxReady c) {
      WarmPool pool = poolOf(c.pool());
      if (pool != null) pool.onSandboxReady(c.sandboxName(), c.addresses(), now);
      else orphan(c.pool(), c.sandboxName());
    } else if (command instanceof ShardCommand.SandboxFailed c) {
      WarmPool pool = poolOf(c.pool());
      if (pool != null) pool.onSandboxFailed(c.sandboxName(), c.reason(), now);
      LOG.debug("pool {} sandbox {} failed: {}", c.pool(), c.sandboxName(), c.reason());
    } else if (command instanceof ShardCommand.SandboxDeleted c) {
      WarmPool pool = poolOf(c.pool());
      if (pool != null) pool.onSandboxDeleted(c.sandboxName(), now);
    } else if (command instanceof ShardCommand.ReleaseClaim c) {
      c.reply().complete(release(c.claimId(), c.tenant(), now));
    } else if (command instanceof ShardCommand.ReadClaim c) {
      c.reply().complete(read(c.claimId(), c.tenant()));
    } else if (command instanceof ShardCommand.ReadPools c) {
      c.reply().complete(snapshots());
    } else if (command instanceof ShardCommand.FindClaimSandbox c) {
      c.reply().complete(findSandbox(c.claimId()));
    } else if (command instanceof ShardCommand.BindingPersisted c) {
      bindingPersisted(c, now);
    } else if (command instanceof ShardCommand.DeclarePool c) {
      declare(c.spec(), c.recovered(), now);
    } else if (command instanceof ShardCommand.AdoptRemovedPool c) {
      adoptRemovedPool(c.spec(), c.recovered(), now);
    } else if (command instanceof ShardCommand.RemovePool c) {
      remove(c.pool(), now);
    } else if (command instanceof ShardCommand.Shutdown c) {
      shutDown = true;
      for (PoolEntry e : pools.values())
        e.pool.rejectAllWaiting(RejectReason.SHUTTING_DOWN, "the scheduler is shutting down");
      c.reply().complete();
    }
  }

  @Override
  public void onDrainTurnEnd() {
    publish();
  }

  @Override
  public void onHandlerFailure(Object message, Throwable failure) {
    metrics.errorCaught("shard");
    LOG.error(
        "shard {} failed on {}: {}",
        index,
        message == null ? "turn end" : message.getClass().getSimpleName(),
        failure.toString(),
        failure);
    if (message instanceof ShardCommand.BindingPersisted c && !c.ticket().isCompleted()) {
      c.ticket()
          .complete(new ClaimOutcome.Rejected(RejectReason.INTERNAL_ERROR, "internal error", 0));
    } else if (message instanceof ClaimTicket t && !t.isCompleted()) {
      t.complete(new ClaimOutcome.Rejected(RejectReason.INTERNAL_ERROR, "internal error", 0));
    } else if (message instanceof ShardCommand.ReleaseClaim c) {
      c.reply().tryFail(failure);
    } else if (message instanceof ShardCommand.ReadClaim c) {
      c.reply().tryFail(failure);
    } else if (message instanceof ShardCommand.ReadPools c) {
      c.reply().tryFail(failure);
    } else if (message instanceof ShardCommand.FindClaimSandbox c) {
      c.reply().tryFail(failure);
    }
  }

  // ---------------------------------------------------------------- time

  /** Expires deadlines and TTLs and replenishes every pool. Shard loop only (the shard's timer). */
  public void onTick(long nowNs) {
    boolean onOwner = ownerCheck.enter();
    assert onOwner : "shard " + index + " tick off its loop";
    for (PoolEntry e : pools.values()) {
      try {
        e.pool.onTick(nowNs);
      } catch (RuntimeException ex) {
        onHandlerFailure(null, ex);
      }
    }
    for (Iterator<PoolEntry> it = draining.iterator(); it.hasNext(); ) {
      PoolEntry e = it.next();
      e.pool.onTick(nowNs);
      if (e.pool.isDrained()) {
        it.remove();
        metrics.unregisterPool(e.pool.key());
      }
    }
    publish();
  }

  // ---------------------------------------------------------------- PoolActions

  @Override
  public void createSandbox(PoolKey pool, String sandboxName, SandboxBlueprint blueprint) {
    provisioner.create(pool, sandboxName, blueprint, provisionListener);
  }

  @Override
  public void deleteSandbox(PoolKey pool, String sandboxName) {
    provisioner.delete(pool, sandboxName, provisionListener);
  }

  @Override
  public void claimEnded(String claimId) {
    claims.remove(claimId);
    if (!bindingStore.isNoop()) bindingStore.remove(claimId);
  }

  @Override
  public void bindingMade(ClaimTicket ticket, ClaimOutcome.Assigned assigned) {
    assert ownerCheck.isOwnerThread() : "shard " + index + " binding off its loop";
    if (bindingStore.isNoop()) {
      ticket.complete(assigned);
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
    bindingStore.persist(
        record,
        failure ->
            inbox.offerControl(new ShardCommand.BindingPersisted(ticket, assigned, failure)));
  }

  /** The store answered: acknowledge the claim, unless it ended meanwhile or the store failed. */
  private void bindingPersisted(ShardCommand.BindingPersisted c, long now) {
    ClaimTicket ticket = c.ticket();
    String claimId = ticket.request().claimId();
    WarmPool pool = claims.get(claimId);
    ClaimView view = pool == null ? null : pool.findClaim(claimId);
    boolean stillBound = view != null && view.assignment() == c.assigned();
    if (c.failure() == null && stillBound) {
      ticket.complete(c.assigned());
      return;
    }
    if (c.failure() != null) {
      LOG.warn(
          "shard {}: binding of claim {} could not be made durable; releasing it: {}",
          index,
          claimId,
          c.failure().toString());
      if (stillBound) pool.release(claimId, now);
      ticket.complete(
          new ClaimOutcome.Rejected(
              RejectReason.BINDING_NOT_DURABLE,
              "the claim's binding could not be recorded durably: " + c.failure().getMessage(),
              policy.emptyRetryAfterMs()));
    } else {
      bindingStore.remove(claimId);
      ticket.complete(
          new ClaimOutcome.Rejected(
              RejectReason.PROVISION_FAILED,
              "the claim's sandbox ended before the claim was acknowledged",
              policy.emptyRetryAfterMs()));
    }
  }

  // ---------------------------------------------------------------- internals

  private WarmPool poolOf(PoolKey key) {
    PoolEntry e = pools.get(key);
    if (e != null) return e.pool;
    for (PoolEntry d : draining) {
      if (d.pool.key().equals(key)) return d.pool;
    }
    return null;
  }

  private void orphan(PoolKey pool, String sandboxName) {
    LOG.debug("sandbox {} of unknown pool {} is ready; deleting it", sandboxName, pool);
    provisioner.delete(pool, sandboxName, provisionListener);
  }

  private void declare(PoolSpec spec, List<RecoveredSandbox> recovered, long now) {
    PoolEntry existing = pools.get(spec.key());
    if (existing != null) {
      existing.pool.updateSpec(spec, now);
      return;
    }
    PoolEntry entry = newPool(spec);
    pools.put(spec.key(), entry);
    adopt(entry.pool, recovered, now);
    entry.pool.onTick(now);
    LOG.info(
        "shard {}: pool {} ({} replicas, runtime class {}, template {}) declared",
        index,
        spec.key(),
        spec.replicas(),
        spec.runtimeClass().displayName(),
        spec.blueprint().templateName());
  }

  private PoolEntry newPool(PoolSpec spec) {
    PoolStats stats = new PoolStats();
    var poolMetrics = metrics.registerPool(spec.key(), spec.runtimeClass(), stats);
    WarmPool pool =
        new WarmPool(
            spec, policy, sizing, gate, this, poolMetrics, provisioner.backendName(), seed++);
    return new PoolEntry(pool, stats);
  }

  /** Re-adopts sandboxes of a previous run (restart recovery), before the pool's first tick. */
  private void adopt(WarmPool pool, List<RecoveredSandbox> recovered, long now) {
    if (recovered.isEmpty()) return;
    long wallNow = System.currentTimeMillis();
    int bound = 0;
    for (RecoveredSandbox sb : recovered) {
      BindingRecord b = sb.binding();
      if (b == null) {
        pool.adoptReady(sb.sandboxName(), sb.addresses(), now);
        continue;
      }
      long expiresAtNs = 0;
      if (b.expiresAtEpochMs() != 0)
        expiresAtNs =
            now + TimeUnit.MILLISECONDS.toNanos(Math.max(0, b.expiresAtEpochMs() - wallNow));
      ClaimRequest claim =
          new ClaimRequest(
              b.claimId(),
              pool.key(),
              b.tenant(),
              b.priority(),
              b.onEmpty(),
              0,
              TimeUnit.MILLISECONDS.toNanos(b.ttlMs()),
              now);
      pool.adoptBound(sb.sandboxName(), sb.addresses(), claim, b.launchType(), expiresAtNs, now);
      claims.put(b.claimId(), pool);
      bound++;
    }
    LOG.info(
        "shard {}: pool {} re-adopted {} sandbox(es) of the previous run ({} bound to claims)",
        index,
        pool.key(),
        recovered.size(),
        bound);
  }

  /**
   * A pool gone from the declarations since the previous run still has sandboxes bound to
   * acknowledged claims: keep them until released or expired, in a removed (draining) pool.
   */
  private void adoptRemovedPool(PoolSpec spec, List<RecoveredSandbox> recovered, long now) {
    if (pools.containsKey(spec.key()) || poolOf(spec.key()) != null) return;
    PoolEntry entry = newPool(spec);
    adopt(entry.pool, recovered, now);
    entry.pool.remove(now);
    draining.add(entry);
  }

  private void remove(PoolKey key, long now) {
    PoolEntry e = pools.remove(key);
    if (e == null) return;
    e.pool.remove(now);
    draining.add(e);
    LOG.info("shard {}: pool {} removed", index, key);
  }

  private ReleaseReply release(String claimId, String tenant, long now) {
    WarmPool pool = claims.get(claimId);
    if (pool == null) return ReleaseReply.NOT_FOUND;
    ClaimView view = pool.findClaim(claimId);
    if (view == null) return ReleaseReply.NOT_FOUND;
    if (!view.request().tenant().equals(tenant)) return ReleaseReply.FORBIDDEN;
    return switch (pool.release(claimId, now)) {
      case RELEASED -> ReleaseReply.RELEASED;
      case CANCELLED -> ReleaseReply.CANCELLED;
      case UNKNOWN -> ReleaseReply.NOT_FOUND;
    };
  }

  private ReadReply read(String claimId, String tenant) {
    WarmPool pool = claims.get(claimId);
    ClaimView view = pool == null ? null : pool.findClaim(claimId);
    if (view == null) return new ReadReply(ReadReply.Status.NOT_FOUND, null);
    if (!view.request().tenant().equals(tenant))
      return new ReadReply(ReadReply.Status.FORBIDDEN, null);
    return new ReadReply(ReadReply.Status.FOUND, view);
  }

  private ShardCommand.SandboxLookup findSandbox(String claimId) {
    WarmPool pool = claims.get(claimId);
    ClaimView view = pool == null ? null : pool.findClaim(claimId);
    if (view == null)
      return new ShardCommand.SandboxLookup(ShardCommand.SandboxLookup.Status.NOT_FOUND, null);
    if (!view.isBound())
      return new ShardCommand.SandboxLookup(ShardCommand.SandboxLookup.Status.PENDING, null);
    return new ShardCommand.SandboxLookup(
        ShardCommand.SandboxLookup.Status.BOUND, view.assignment().sandbox());
  }

  private List<PoolSnapshot> snapshots() {
    publish();
    List<PoolSnapshot> out = new ArrayList<>(pools.size());
    int depth = inbox.claimDepth();
    for (PoolEntry e : pools.values()) {
      PoolStats s = e.stats;
      out.add(
          new PoolSnapshot(
              e.pool.spec(),
              provisioner.backendName(),
              provisioner.isSimulated(),
              (int) s.ready(),
              (int) s.starting(),
              (int) s.claimed(),
              (int) s.desired(),
              (int) s.pending(),
              (int) s.deleting(),
              s.warmAssigned(),
              s.coldAssigned(),
              s.warmHitRatio(),
              index,
              depth,
              e.pool.target(),
              e.pool.targetReason().code(),
              s.demandPerSecond(),
              s.leadTimeP90Ns()));
    }
    return out;
  }

  private void publish() {
    long now = clock.nanoTime();
    for (PoolEntry e : pools.values()) e.pool.publish(e.stats, now);
  }

  /** Test hook: the pool's state machine. Shard loop only. */
  WarmPool pool(PoolKey key) {
    return poolOf(key);
  }

  /** Posts backend results into this shard's control queue; never blocks. Any thread. */
  private final class InboxProvisionListener implements ProvisionListener {
    @Override
    public void onSandboxReady(PoolKey pool, String sandboxName, List<String> addresses) {
      inbox.offerControl(new ShardCommand.SandboxReady(pool, sandboxName, addresses));
    }

    @Override
    public void onSandboxFailed(PoolKey pool, String sandboxName, String reason) {
      inbox.offerControl(new ShardCommand.SandboxFailed(pool, sandboxName, reason));
    }

    @Override
    public void onSandboxDeleted(PoolKey pool, String sandboxName) {
      inbox.offerControl(new ShardCommand.SandboxDeleted(pool, sandboxName));
    }
  }
}
