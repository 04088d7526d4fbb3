package io.agentsandbox.scheduler.shard;

import io.agentsandbox.scheduler.shard.ShardCommand.ReadReply;
import io.agentsandbox.scheduler.shard.ShardCommand.ReleaseReply;
import io.agentsandbox.scheduler.shard.ShardCommand.SandboxLookup;
import io.agentsandbox.warmpool.ClaimView;
import io.agentsandbox.warmpool.WarmPool;
import java.util.HashMap;

/**
 * One shard's index of claims: which of its pools holds each claim (bound or waiting), and the
 * answers to reads and releases, checked against the asking tenant. Owned by its shard's event
 * loop; not thread-safe.
 */
final class ClaimIndex {

  private final HashMap<String, WarmPool> poolByClaim = new HashMap<>();

  void put(String claimId, WarmPool pool) {
    poolByClaim.put(claimId, pool);
  }

  void remove(String claimId) {
    poolByClaim.remove(claimId);
  }

  /** The pool holding the claim, or null. */
  WarmPool poolOf(String claimId) {
    return poolByClaim.get(claimId);
  }

  private ClaimView view(String claimId) {
    WarmPool pool = poolByClaim.get(claimId);
    return pool == null ? null : pool.findClaim(claimId);
  }

  /** Ends the tenant's claim: its sandbox is deleted, or its wait cancelled. */
  ReleaseReply release(String claimId, String tenant, long nowNs) {
    WarmPool pool = poolByClaim.get(claimId);
    if (pool == null) return ReleaseReply.NOT_FOUND;
    ClaimView view = pool.findClaim(claimId);
    if (view == null) return ReleaseReply.NOT_FOUND;
    if (!view.request().tenant().equals(tenant)) return ReleaseReply.FORBIDDEN;
    return switch (pool.release(claimId, nowNs)) {
      case RELEASED -> ReleaseReply.RELEASED;
      case CANCELLED -> ReleaseReply.CANCELLED;
      case UNKNOWN -> ReleaseReply.NOT_FOUND;
    };
  }

  /** The tenant's claim as it stands. */
  ReadReply read(String claimId, String tenant) {
    ClaimView view = view(claimId);
    if (view == null) return new ReadReply(ReadReply.Status.NOT_FOUND, null);
    if (!view.request().tenant().equals(tenant))
      return new ReadReply(ReadReply.Status.FORBIDDEN, null);
    return new ReadReply(ReadReply.Status.FOUND, view);
  }

  /** The sandbox bound to a claim, for any tenant (the caller checks access). */
  SandboxLookup findSandbox(String claimId) {
    ClaimView view = view(claimId);
    if (view == null) return new SandboxLookup(SandboxLookup.Status.NOT_FOUND, null);
    if (!view.isBound()) return new SandboxLookup(SandboxLookup.Status.PENDING, null);
    return new SandboxLookup(SandboxLookup.Status.BOUND, view.assignment().sandbox());
  }
}
