package io.agentsandbox.scheduler.shard;

import io.agentsandbox.core.concurrent.MpscInbox;
import io.agentsandbox.core.model.ClaimTicket;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.port.ProvisionListener;
import java.util.List;

/**
 * Posts backend results into one shard's control queue as {@link ShardCommand}s; never blocks.
 * Stateless; any thread (R3: async backend results come back through the inbox).
 */
final class ShardProvisionListener implements ProvisionListener {

  private final MpscInbox<ShardCommand, ClaimTicket> inbox;

  ShardProvisionListener(MpscInbox<ShardCommand, ClaimTicket> inbox) {
    this.inbox = inbox;
  }

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
