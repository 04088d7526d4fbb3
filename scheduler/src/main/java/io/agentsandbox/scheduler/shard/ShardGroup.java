package io.agentsandbox.scheduler.shard;

import io.agentsandbox.core.model.ClaimTicket;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.model.RecoveredSandbox;
import io.agentsandbox.core.port.BindingStore;
import io.agentsandbox.core.port.ClaimSubmitter;
import io.agentsandbox.core.port.NanoClock;
import io.agentsandbox.core.port.SandboxProvisioner;
import io.agentsandbox.core.port.SchedulerMetrics;
import io.agentsandbox.warmpool.SizingPolicy;
import io.agentsandbox.warmpool.WarmPoolPolicy;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * The server's shards, created and stopped together: one {@link PoolShard} per event-loop context
 * (each with one periodic timer), its {@link ShardProxy}, and the {@link ShardRouter} that picks
 * the shard of a pool or claim. Immutable after construction; every method may be called from any
 * thread (commands go through the proxies).
 */
public final class ShardGroup {

  /** How the shards are built: sizes, timers and the policies shared by every pool. */
  public record Settings(
      int shards,
      int claimQueueCapacity,
      int drainLimit,
      long tickMs,
      WarmPoolPolicy policy,
      SizingPolicy sizing,
      RuntimeClassBudgets budgets,
      int maxWaitingPerShard) {}

  private final List<ShardProxy> proxies;
  private final ShardRouter router;

  private ShardGroup(List<ShardProxy> proxies) {
    this.proxies = List.copyOf(proxies);
    this.router = new ShardRouter(proxies.size());
  }

  /** Creates the shards, each on a new event-loop context of {@code vertx}, and starts timers. */
  public static ShardGroup start(
      Vertx vertx,
      Settings settings,
      NanoClock clock,
      SandboxProvisioner provisioner,
      BindingStore bindingStore,
      SchedulerMetrics metrics) {
    PoolShard.Options options =
        new PoolShard.Options(
            settings.sizing(), settings.budgets(), bindingStore, settings.maxWaitingPerShard());
    List<ShardProxy> proxies = new ArrayList<>();
    for (int k = 0; k < settings.shards(); k++) {
      ContextInternal ctx = ((VertxInternal) vertx).createEventLoopContext();
      Executor onShardLoop = task -> ctx.runOnContext(v -> task.run());
      PoolShard shard =
          new PoolShard(
              k,
              settings.claimQueueCapacity(),
              settings.drainLimit(),
              onShardLoop,
              clock,
              provisioner,
              metrics,
              settings.policy(),
              options);
      long tickMs = settings.tickMs();
      ctx.runOnContext(v -> vertx.setPeriodic(tickMs, id -> shard.onTick(clock.nanoTime())));
      proxies.add(new ShardProxy(shard));
    }
    return new ShardGroup(proxies);
  }

  public ShardRouter router() {
    return router;
  }

  /** The proxies, index = shard number. */
  public List<ShardProxy> proxies() {
    return proxies;
  }

  /** The proxy of the shard that owns {@code pool}. */
  public ShardProxy ofPool(PoolKey pool) {
    return proxies.get(router.shardOf(pool));
  }

  /** Declares (or redeclares) a pool on its shard, adopting {@code recovered} sandboxes. */
  public void declare(PoolSpec spec, List<RecoveredSandbox> recovered) {
    ofPool(spec.key()).send(new ShardCommand.DeclarePool(spec, recovered));
  }

  /** Adopts the bound sandboxes of a pool no longer declared, until released or expired. */
  public void adoptRemoved(PoolSpec spec, List<RecoveredSandbox> bound) {
    ofPool(spec.key()).send(new ShardCommand.AdoptRemovedPool(spec, bound));
  }

  /** Removes a pool from its shard. */
  public void remove(PoolKey pool) {
    ofPool(pool).send(new ShardCommand.RemovePool(pool));
  }

  /** Claims and releases from outside the HTTP API (SandboxClaims) → the shard owning the pool. */
  public ClaimSubmitter submitter() {
    return new ClaimSubmitter() {
      @Override
      public boolean submit(ClaimTicket ticket) {
        return ofPool(ticket.request().pool()).submitClaim(ticket);
      }

      @Override
      public void release(PoolKey pool, String claimId, String tenant) {
        ofPool(pool).send(new ShardCommand.ReleaseClaim(claimId, tenant, Promise.promise()));
      }
    };
  }

  /** Reads every shard's pools; {@code each} runs per pool on the answering shard's loop. */
  public void forEachPool(Consumer<PoolSnapshot> each) {
    for (ShardProxy shard : proxies) {
      Promise<List<PoolSnapshot>> reply = Promise.promise();
      shard.send(new ShardCommand.ReadPools(reply));
      reply.future().onSuccess(list -> list.forEach(each));
    }
  }

  /**
   * Completes once every shard has handled every command sent to it before this call (their control
   * queues are FIFO): e.g. the pool declarations of a start-up, before the server says it is ready.
   */
  public Future<Void> barrier() {
    List<Future<List<PoolSnapshot>>> reads = new ArrayList<>();
    for (ShardProxy shard : proxies) {
      Promise<List<PoolSnapshot>> reply = Promise.promise();
      shard.send(new ShardCommand.ReadPools(reply));
      reads.add(reply.future());
    }
    return Future.all(reads).mapEmpty();
  }

  /** Stops every shard: waiting claims are answered {@code 503}. */
  public Future<Void> shutdown() {
    List<Future<Void>> stops = new ArrayList<>();
    for (ShardProxy s : proxies) {
      Promise<Void> p = Promise.promise();
      s.send(new ShardCommand.Shutdown(p));
      stops.add(p.future());
    }
    return Future.all(stops).mapEmpty();
  }
}
