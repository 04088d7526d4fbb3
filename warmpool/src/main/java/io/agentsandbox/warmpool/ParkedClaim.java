package io.agentsandbox.warmpool;

import io.agentsandbox.core.model.ClaimTicket;
import io.agentsandbox.warmpool.internal.DeadlineHeap;

/** A claim waiting for a sandbox, with its deadline. Owned by the pool's owner thread. */
final class ParkedClaim extends DeadlineHeap.Entry {

  final ClaimTicket ticket;
  final long parkedAtNs;

  /** Null for a claim waiting in the fair queue; the member started for it on a cold start. */
  final Member coldMember;

  /** Set when the claim left the fair queue's accounting (answered, expired, cancelled). */
  boolean dead;

  ParkedClaim(ClaimTicket ticket, long parkedAtNs, Member coldMember) {
    this.ticket = ticket;
    this.parkedAtNs = parkedAtNs;
    this.coldMember = coldMember;
  }

  String claimId() {
    return ticket.request().claimId();
  }
}
