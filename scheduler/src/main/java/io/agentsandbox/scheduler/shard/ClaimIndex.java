package io.agentsandbox.scheduler.shard;

import io.agentsandbox.scheduler.shard.ShardCommand.ReadReply;
import io.agentsandbox.scheduler.shard.ShardCommand.ReleaseReply;
import io.agentsandbox.scheduler.shard.ShardCommand.SandboxLookup;
import io.agentsandbox.warmpool.ClaimView;
import io.agentsandbox.warmpool.WarmPool;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One shard's index of claims: which of its pools holds each claim (bound or waiting), and the
 * answers to reads and releases, checked against the asking tenant. Claims whose sandbox died stay
 * readable as {@code Failed} with the reason for {@link #LOST_RETENTION_NS} (at most {@link
 * #LOST_MAX} of them, oldest dropped first) or until their holder releases them. Owned by its
 * shard's event loop; not thread-safe.
 */
final class ClaimIndex {

  /** How long a claim whose sandbox died stays readable. */
  static final long LOST_RETENTION_NS = TimeUnit.HOURS.toNanos(1);

  /** How many such claims a shard keeps at most. */
  static final int LOST_MAX = 4_096;

  private final HashMap<String, WarmPool> poolByClaim = new HashMap<>();
  private final LinkedHashMap<String, ClaimView> lost = new LinkedHashMap<>();

  void put(String claimId, WarmPool pool) {
    poolByClaim.put(claimId, pool);
  }

  void remove(String claimId) {
    poolByClaim.remove(claimId);
  }

  /** The claim's sandbox died: the claim ends but stays readable (see the class comment). */
  void lost(ClaimView view) {
    String claimId = view.request().claimId();
    poolByClaim.remove(claimId);
    lost.put(claimId, view);
    long now = view.lost().atNs();
    Iterator<Map.Entry<String, ClaimView>> it = lost.entrySet().iterator();
    while (it.hasNext()) {
      ClaimView oldest = it.next().getValue();
      if (lost.size() <= LOST_MAX && now - oldest.lost().atNs() < LOST_RETENTION_NS) break;
      it.remove();
    }
  }

  /** Claims kept because their sandbox died. */
  int lostCount() {
    return lost.size();
  }

  private ClaimView lostView(String claimId, long nowNs) {
    ClaimView view = lost.get(claimId);
    if (view == null || nowNs - view.lost().atNs() < LOST_RETENTION_NS) return view;
    lost.remove(claimId);
    return null;
  }

  /** The pool holding the claim, or null. */
  WarmPool poolOf(String claimId) {
    return poolByClaim.get(claimId);
  }

  private ClaimView view(String claimId, long nowNs) {
    WarmPool pool = poolByClaim.get(claimId);
    return pool == null ? lostView(claimId, nowNs) : pool.findClaim(claimId);
  }

  /** Ends the tenant's claim: its sandbox is deleted, or its wait cancelled. */
  ReleaseReply release(String claimId, String tenant, long nowNs) {
    WarmPool pool = poolByClaim.get(claimId);
    if (pool == null) {
      ClaimView dead = lostView(claimId, nowNs);
      if (dead == null) return ReleaseReply.NOT_FOUND;
      if (!dead.request().tenant().equals(tenant)) return ReleaseReply.FORBIDDEN;
      lost.remove(claimId); // its sandbox is already gone
      return ReleaseReply.RELEASED;
    }
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
  ReadReply read(String claimId, String tenant, long nowNs) {
    ClaimView view = view(claimId, nowNs);
    if (view == null) return new ReadReply(ReadReply.Status.NOT_FOUND, null);
    if (!view.request().tenant().equals(tenant))
      return new ReadReply(ReadReply.Status.FORBIDDEN, null);
    return new ReadReply(ReadReply.Status.FOUND, view);
  }

  /** The sandbox bound to a claim, for any tenant (the caller checks access). */
  SandboxLookup findSandbox(String claimId, long nowNs) {
    ClaimView view = view(claimId, nowNs);
    if (view == null) return new SandboxLookup(SandboxLookup.Status.NOT_FOUND, null);
    if (view.isLost()) return SandboxLookup.gone(view.lost().reason());
    if (!view.isBound()) return new SandboxLookup(SandboxLookup.Status.PENDING, null);
    return new SandboxLookup(SandboxLookup.Status.BOUND, view.assignment().sandbox());
  }
}
