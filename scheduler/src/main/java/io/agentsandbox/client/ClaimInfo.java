package io.agentsandbox.client;

import java.time.Instant;

/**
 * A claim as the server described it (the {@code 201} of {@code POST /v1/claims} or {@code GET
 * /v1/claims/{id}}). Never holds the claim token; {@link SandboxHandle} does.
 *
 * @param claimId the claim's id
 * @param status {@code Bound}, or {@code Pending} while it waits
 * @param namespace the pool's namespace
 * @param pool the pool's name
 * @param tenant the claim's tenant
 * @param priority its priority
 * @param onEmpty {@code wait}, {@code cold} or {@code reject}
 * @param waitMs how long it may wait
 * @param ttlSeconds its TTL (0 = none)
 * @param launchType {@code warm} or {@code cold} when bound, else null
 * @param waitedMs how long it waited, when bound (else NaN)
 * @param expiresAt when its TTL releases it, or null
 * @param sandbox the bound sandbox, or null while pending
 */
public record ClaimInfo(
    String claimId,
    String status,
    String namespace,
    String pool,
    String tenant,
    int priority,
    String onEmpty,
    long waitMs,
    long ttlSeconds,
    String launchType,
    double waitedMs,
    Instant expiresAt,
    SandboxInfo sandbox) {

  /** True when a sandbox is bound. */
  public boolean isBound() {
    return "Bound".equals(status) && sandbox != null;
  }
}
