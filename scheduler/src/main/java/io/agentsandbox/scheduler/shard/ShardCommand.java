package io.agentsandbox.scheduler.shard;

import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.ClaimTicket;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.model.RecoveredSandbox;
import io.agentsandbox.warmpool.ClaimView;
import io.vertx.core.Promise;
import java.util.List;

/**
 * Control messages into a shard: facts in the past tense, requests in the imperative. Immutable
 * records; a {@link Promise} in a request is completed on the shard's thread and, having been made
 * by the requester's context, delivers on the requester's context (the reply hop).
 */
public sealed interface ShardCommand {

  /**
   * Create or update a pool; a new pool first re-adopts {@code recovered}, the sandboxes of it that
   * a previous run left running (restart recovery; ignored when the pool exists).
   */
  record DeclarePool(PoolSpec spec, List<RecoveredSandbox> recovered) implements ShardCommand {
    public DeclarePool {
      recovered = List.copyOf(recovered);
    }

    public DeclarePool(PoolSpec spec) {
      this(spec, List.of());
    }
  }

  /**
   * Restart recovery for a pool no longer declared: its sandboxes bound to acknowledged claims are
   * kept until released or expired, in a removed pool made from {@code spec} (0 replicas).
   */
  record AdoptRemovedPool(PoolSpec spec, List<RecoveredSandbox> recovered) implements ShardCommand {
    public AdoptRemovedPool {
      recovered = List.copyOf(recovered);
    }
  }

  /**
   * The binding store answered for a claim's binding ({@code failure} null when it is durable). The
   * ticket is the shard's own, travelling back into its inbox; it is completed on the shard loop.
   */
  record BindingPersisted(ClaimTicket ticket, ClaimOutcome.Assigned assigned, Throwable failure)
      implements ShardCommand {}

  /** Delete a pool; bound claims keep their sandboxes until released. */
  record RemovePool(PoolKey pool) implements ShardCommand {}

  /** The backend reports a sandbox ready. */
  record SandboxReady(PoolKey pool, String sandboxName, List<String> addresses)
      implements ShardCommand {}

  /** The backend reports a sandbox failed or died. */
  record SandboxFailed(PoolKey pool, String sandboxName, String reason) implements ShardCommand {}

  /** The backend reports a sandbox deleted. */
  record SandboxDeleted(PoolKey pool, String sandboxName) implements ShardCommand {}

  /** Release (or cancel) a claim on behalf of {@code tenant}. */
  record ReleaseClaim(String claimId, String tenant, Promise<ReleaseReply> reply)
      implements ShardCommand {}

  /** Read a claim on behalf of {@code tenant}. */
  record ReadClaim(String claimId, String tenant, Promise<ReadReply> reply)
      implements ShardCommand {}

  /**
   * Find the sandbox bound to a claim (for exec and files; the caller has checked the claim's
   * token).
   */
  record FindClaimSandbox(String claimId, Promise<SandboxLookup> reply) implements ShardCommand {}

  /**
   * Find which claim holds sandbox {@code sandboxName} of {@code namespace} (for the sandbox
   * router; the caller checks access).
   */
  record FindSandboxClaim(String namespace, String sandboxName, Promise<SandboxClaimLookup> reply)
      implements ShardCommand {}

  /**
   * Answer to {@link FindSandboxClaim}: {@code claimId}, {@code tenant} and {@code sandbox} are set
   * only when {@code status} is CLAIMED.
   */
  record SandboxClaimLookup(
      Status status, String claimId, String tenant, io.agentsandbox.core.model.SandboxRef sandbox) {
    public enum Status {
      CLAIMED,
      UNCLAIMED,
      NOT_FOUND
    }

    public static final SandboxClaimLookup NOT_FOUND =
        new SandboxClaimLookup(Status.NOT_FOUND, null, null, null);
    public static final SandboxClaimLookup UNCLAIMED =
        new SandboxClaimLookup(Status.UNCLAIMED, null, null, null);
  }

  /** Read every pool's state. */
  record ReadPools(Promise<List<PoolSnapshot>> reply) implements ShardCommand {}

  /** Stop: answer every waiting claim with 503 and refuse new ones. */
  record Shutdown(Promise<Void> reply) implements ShardCommand {}

  /** Answer to {@link ReleaseClaim}. */
  enum ReleaseReply {
    RELEASED,
    CANCELLED,
    NOT_FOUND,
    FORBIDDEN
  }

  /**
   * Answer to {@link FindClaimSandbox}: {@code sandbox} is set only when {@code status} is BOUND.
   */
  record SandboxLookup(
      Status status, io.agentsandbox.core.model.SandboxRef sandbox, String goneReason) {
    public enum Status {
      BOUND,
      PENDING,
      /** The claim's sandbox died; {@code goneReason} says why. */
      GONE,
      NOT_FOUND
    }

    public SandboxLookup(Status status, io.agentsandbox.core.model.SandboxRef sandbox) {
      this(status, sandbox, null);
    }

    static SandboxLookup gone(String reason) {
      return new SandboxLookup(Status.GONE, null, reason);
    }
  }

  /** Answer to {@link ReadClaim}: {@code view} is set only when {@code status} is FOUND. */
  record ReadReply(Status status, ClaimView view) {
    public enum Status {
      FOUND,
      NOT_FOUND,
      FORBIDDEN
    }
  }
}
