package io.agentsandbox.warmpool;

import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.ClaimRequest;
import io.agentsandbox.core.model.SandboxRef;
import io.agentsandbox.warmpool.internal.DeadlineHeap;

/** One sandbox of a pool. Owned by the pool's owner thread; not thread-safe. */
final class Member extends DeadlineHeap.Entry {

  enum State {
    STARTING,
    READY,
    CLAIMED,
    DELETING
  }

  final String name;
  final long createdAtNs;
  State state = State.STARTING;
  SandboxRef ref;

  /** Non-null while this member is a cold start dedicated to one waiting claim. */
  ParkedClaim coldFor;

  /** Set while claimed. */
  ClaimRequest claim;

  ClaimOutcome.Assigned assignment;

  /** True while this member holds a {@link CreationGate} permit (a pool refill still starting). */
  boolean permit;

  Member(String name, long createdAtNs) {
    this.name = name;
    this.createdAtNs = createdAtNs;
  }
}
