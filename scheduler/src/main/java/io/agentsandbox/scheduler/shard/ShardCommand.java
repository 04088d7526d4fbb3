package io.agentsandbox.scheduler.shard;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.warmpool.ClaimView;
import io.vertx.core.Promise;
import java.util.List;

/**
 * Control messages into a shard: facts in the past tense, requests in the imperative. Immutable
 * records; a {@link Promise} in a request is completed on the shard's thread and, having been made
 * by the requester's context, delivers on the requester's context (the reply hop).
 */
public sealed interface ShardCommand {

  /** Create or update a pool. */
  record DeclarePool(PoolSpec spec) implements ShardCommand {}

  /** Delete a pool; bound claims keep their sandboxes until released. */
  record RemovePool(PoolKey pool) implements ShardCommand {}

  /** The backend reports a sandbox ready. */
  record SandboxReady(PoolKey pool, String sandboxName, List<String> addresses) implements ShardCommand {}

  /** The backend reports a sandbox failed or died. */
  record SandboxFailed(PoolKey pool, String sandboxName, String reason) implements ShardCommand {}

  /** The backend reports a sandbox deleted. */
  record SandboxDeleted(PoolKey pool, String sandboxName) implements ShardCommand {}

  /** Release (or cancel) a claim on behalf of {@code tenant}. */
  record ReleaseClaim(String claimId, String tenant, Promise<ReleaseReply> reply) implements ShardCommand {}

  /** Read a claim on behalf of {@code tenant}. */
  record ReadClaim(String claimId, String tenant, Promise<ReadReply> reply) implements ShardCommand {}

  /** Find the sandbox bound to a claim (for exec and files; the caller has checked the claim's token). */
  record FindClaimSandbox(String claimId, Promise<SandboxLookup> reply) implements ShardCommand {}

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

  /** Answer to {@link FindClaimSandbox}: {@code sandbox} is set only when {@code status} is BOUND. */
  record SandboxLookup(Status status, io.agentsandbox.core.model.SandboxRef sandbox) {
    public enum Status {
      BOUND,
      PENDING,
      NOT_FOUND
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
