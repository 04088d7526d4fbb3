package io.agentsandbox.scheduler.shard;

import io.agentsandbox.core.concurrent.MpscInbox;
import io.agentsandbox.core.concurrent.OwnerCheck;
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
import io.agentsandbox.scheduler.logging.ClaimLog;
import io.agentsandbox.scheduler.logging.SandboxLog;
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
 * <p>Composes its parts: the inbox, the {@link ClaimIndex} (which pool holds each claim), {@link
 * BindingDurability} (persist before reply, restart re-adoption), {@link ShardProvisionListener}
 * (backend results into the inbox) and {@link PoolSnapshot} (stats for readers).
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
  private final BindingDurability bindings;
  private final int maxWaitingPerShard;
  private final MpscInbox<ShardCommand, ClaimTicket> inbox;
  private final OwnerCheck ownerCheck;
  private final ProvisionListener provisionListener;

  // Shard loop only
  private final HashMap<PoolKey, PoolEntry> pools = new HashMap<>();

  /** Pools removed while claims still hold their sandboxes. */
  private final List<PoolEntry> draining = new ArrayList<>();

  private final ClaimIndex claims = new ClaimIndex();
  private boolean shutDown;
  private long seed;

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
   * @param index this shard's number
   * @param claimQueueCapacity bound of the claim queue
   * @param drainLimit claims per drain turn
   * @param executor runs the drain task on this shard's event loop, one task at a time
   * @param options sizing, creation gate, binding store and waiting cap ({@link Options#DEFAULTS}:
   *     none of them)
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
    this.gate = options.gate();
    this.index = index;
    this.clock = clock;
    this.provisioner = provisioner;
    this.metrics = metrics;
    this.policy = policy;
    this.seed = 0x5DEECE66DL * (index + 1);
    this.inbox = new MpscInbox<>(claimQueueCapacity, drainLimit, executor, this);
    this.ownerCheck = inbox.ownerCheck();
    this.provisionListener = new ShardProvisionListener(inbox);
    this.bindings =
        new BindingDurability(
            index,
            options.bindingStore(),
            clock,
            policy.emptyRetryAfterMs(),
            inbox::offerControl,
            this::claimRejected);
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
      claimRejected(
          ticket,
          new ClaimOutcome.Rejected(
              RejectReason.SHUTTING_DOWN, "the scheduler is shutting down", 1_000));
      return;
    }
    PoolKey key = ticket.request().pool();
    PoolEntry entry = pools.get(key);
    if (entry == null) {
      claimRejected(
          ticket, new ClaimOutcome.Rejected(RejectReason.UNKNOWN_POOL, "no warm pool " + key, 0));
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
    claimRejected(
        ticket,
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
      SandboxLog.ready(c.pool(), c.sandboxName(), index);
      if (pool != null) pool.onSandboxReady(c.sandboxName(), c.addresses(), now);
      else orphan(c.pool(), c.sandboxName());
    } else if (command instanceof ShardCommand.SandboxFailed c) {
      WarmPool pool = poolOf(c.pool());
      SandboxLog.failed(c.pool(), c.sandboxName(), c.reason(), index);
      if (pool != null) pool.onSandboxFailed(c.sandboxName(), c.reason(), now);
    } else if (command instanceof ShardCommand.SandboxDeleted c) {
      WarmPool pool = poolOf(c.pool());
      SandboxLog.deleted(c.pool(), c.sandboxName(), index);
      if (pool != null) pool.onSandboxDeleted(c.sandboxName(), now);
    } else if (command instanceof ShardCommand.ReleaseClaim c) {
      c.reply().complete(claims.release(c.claimId(), c.tenant(), now));
    } else if (command instanceof ShardCommand.ReadClaim c) {
      c.reply().complete(claims.read(c.claimId(), c.tenant(), now));
    } else if (command instanceof ShardCommand.ReadPools c) {
      c.reply().complete(snapshots());
    } else if (command instanceof ShardCommand.FindClaimSandbox c) {
      c.reply().complete(claims.findSandbox(c.claimId(), now));
    } else if (command instanceof ShardCommand.FindSandboxClaim c) {
      c.reply().complete(findSandboxClaim(c.namespace(), c.sandboxName()));
    } else if (command instanceof ShardCommand.BindingPersisted c) {
      bindings.onPersisted(c, claims.poolOf(c.ticket().request().claimId()), now);
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
      claimRejected(
          c.ticket(), new ClaimOutcome.Rejected(RejectReason.INTERNAL_ERROR, "internal error", 0));
    } else if (message instanceof ClaimTicket t && !t.isCompleted()) {
      claimRejected(t, new ClaimOutcome.Rejected(RejectReason.INTERNAL_ERROR, "internal error", 0));
    } else if (message instanceof ShardCommand.ReleaseClaim c) {
      c.reply().tryFail(failure);
    } else if (message instanceof ShardCommand.ReadClaim c) {
      c.reply().tryFail(failure);
    } else if (message instanceof ShardCommand.ReadPools c) {
      c.reply().tryFail(failure);
    } else if (message instanceof ShardCommand.FindClaimSandbox c) {
      c.reply().tryFail(failure);
    } else if (message instanceof ShardCommand.FindSandboxClaim c) {
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
    SandboxLog.created(pool, sandboxName, index);
    provisioner.create(pool, sandboxName, blueprint, provisionListener);
  }

  @Override
  public void deleteSandbox(PoolKey pool, String sandboxName) {
    provisioner.delete(pool, sandboxName, provisionListener);
  }

  @Override
  public void sandboxStuck(PoolKey pool, String sandboxName, long startingNs) {
    SandboxLog.failed(
        pool,
        sandboxName,
        "not ready "
            + TimeUnit.NANOSECONDS.toSeconds(startingNs)
            + " s after it was asked for (readiness grace); replaced",
        index);
  }

  @Override
  public void claimRejected(ClaimTicket ticket, ClaimOutcome.Rejected rejected) {
    ClaimLog.rejected(ticket.request(), ticket.traceId(), rejected, index, clock.nanoTime());
    ticket.complete(rejected);
  }

  @Override
  public void claimWaiting(ClaimTicket ticket, boolean cold) {
    ClaimLog.waiting(ticket, cold, index);
  }

  @Override
  public void claimReleased(
      ClaimRequest claim, ClaimOutcome.Assigned assignment, boolean byTtl, long nowNs) {
    ClaimLog.released(claim, assignment, byTtl, index, nowNs);
  }

  @Override
  public void claimEnded(String claimId) {
    claims.remove(claimId);
    bindings.claimEnded(claimId);
  }

  @Override
  public void claimLost(ClaimView view) {
    String claimId = view.request().claimId();
    ClaimLog.lost(view, index);
    claims.lost(view);
    bindings.claimEnded(claimId);
  }

  @Override
  public void bindingMade(ClaimTicket ticket, ClaimOutcome.Assigned assigned) {
    assert ownerCheck.isOwnerThread() : "shard " + index + " binding off its loop";
    bindings.bindingMade(ticket, assigned);
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

  /** Which claim of this shard's pools in {@code namespace} holds the sandbox. */
  private ShardCommand.SandboxClaimLookup findSandboxClaim(String namespace, String sandboxName) {
    boolean member = false;
    for (PoolEntry e : pools.values()) {
      if (!e.pool.key().namespace().equals(namespace)) continue;
      ClaimView view = e.pool.claimOfSandbox(sandboxName);
      if (view == null) continue;
      if (view.isBound()) {
        return new ShardCommand.SandboxClaimLookup(
            ShardCommand.SandboxClaimLookup.Status.CLAIMED,
            view.request().claimId(),
            view.request().tenant(),
            view.assignment().sandbox());
      }
      member = true;
    }
    for (PoolEntry d : draining) {
      if (!d.pool.key().namespace().equals(namespace)) continue;
      ClaimView view = d.pool.claimOfSandbox(sandboxName);
      if (view != null && view.isBound()) {
        return new ShardCommand.SandboxClaimLookup(
            ShardCommand.SandboxClaimLookup.Status.CLAIMED,
            view.request().claimId(),
            view.request().tenant(),
            view.assignment().sandbox());
      }
    }
    return member
        ? ShardCommand.SandboxClaimLookup.UNCLAIMED
        : ShardCommand.SandboxClaimLookup.NOT_FOUND;
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
    bindings.readopt(entry.pool, recovered, claims, now);
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

  /**
   * A pool gone from the declarations since the previous run still has sandboxes bound to
   * acknowledged claims: keep them until released or expired, in a removed (draining) pool.
   */
  private void adoptRemovedPool(PoolSpec spec, List<RecoveredSandbox> recovered, long now) {
    if (pools.containsKey(spec.key()) || poolOf(spec.key()) != null) return;
    PoolEntry entry = newPool(spec);
    bindings.readopt(entry.pool, recovered, claims, now);
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

  private List<PoolSnapshot> snapshots() {
    publish();
    List<PoolSnapshot> out = new ArrayList<>(pools.size());
    int depth = inbox.claimDepth();
    for (PoolEntry e : pools.values()) {
      out.add(
          PoolSnapshot.of(
              e.pool, e.stats, provisioner.backendName(), provisioner.isSimulated(), index, depth));
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
}
