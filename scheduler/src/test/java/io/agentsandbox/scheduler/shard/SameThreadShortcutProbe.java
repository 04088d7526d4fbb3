package io.agentsandbox.scheduler.shard;

import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.testing.ClaimFixtures;
import io.agentsandbox.core.testing.FakeProvisioner;
import io.agentsandbox.core.testing.ManualClock;
import io.agentsandbox.core.testing.ManualExecutor;
import io.agentsandbox.core.testing.RecordingMetrics;
import io.agentsandbox.core.testing.RecordingTicket;
import io.agentsandbox.warmpool.WarmPoolPolicy;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Drives one shard on the calling thread and reports which path {@link ShardProxy#submitClaim}
 * took. Loaded by {@link SameThreadShortcutTest} both as is and in a class loader with assertions
 * off, so it returns only JDK types.
 */
public final class SameThreadShortcutProbe implements Callable<Map<String, Object>> {

  @Override
  public Map<String, Object> call() throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    boolean assertionsOn = false;
    assert assertionsOn = true;
    out.put("assertionsOn", assertionsOn);
    out.put("shardAssertionsOn", PoolShard.class.desiredAssertionStatus());

    ManualExecutor executor = new ManualExecutor();
    ManualClock clock = new ManualClock();
    FakeProvisioner provisioner = new FakeProvisioner(false);
    PoolShard shard =
        new PoolShard(
            0,
            4,
            2,
            executor,
            clock,
            provisioner,
            new RecordingMetrics(),
            WarmPoolPolicy.DEFAULTS,
            PoolShard.Options.DEFAULTS);
    ShardProxy proxy = new ShardProxy(shard);
    out.put("ownerBeforeFirstDrain", shard.isOwnerThread());

    proxy.send(new ShardCommand.DeclarePool(ClaimFixtures.pool(2)));
    executor.runAll();
    provisioner.readyAll();
    executor.runAll();
    out.put("ownerAfterFirstDrain", shard.isOwnerThread());

    // From the owner thread: handled at once, nothing queued, no drain scheduled.
    RecordingTicket own = ClaimFixtures.claim().at(clock.nanoTime()).ticket();
    out.put("ownAccepted", proxy.submitClaim(own));
    out.put("ownAnsweredWithoutDrain", own.isAnswered() && executor.queued() == 0);
    out.put("ownAssigned", own.outcome() instanceof ClaimOutcome.Assigned);

    // From another thread: through the inbox, answered only by the next drain.
    RecordingTicket other = ClaimFixtures.claim().at(clock.nanoTime()).ticket();
    boolean[] otherResult = new boolean[3];
    Thread t =
        new Thread(
            () -> {
              otherResult[0] = shard.isOwnerThread();
              otherResult[1] = proxy.submitClaim(other);
              otherResult[2] = other.isAnswered();
            },
            "not-the-owner");
    t.start();
    t.join(10_000);
    out.put("otherSeenAsOwner", otherResult[0]);
    out.put("otherAccepted", otherResult[1]);
    out.put("otherAnsweredWithoutDrain", otherResult[2]);
    out.put("otherQueued", shard.inbox().claimDepth());
    executor.runAll();
    out.put("otherAnsweredAfterDrain", other.isAnswered());
    return out;
  }
}
