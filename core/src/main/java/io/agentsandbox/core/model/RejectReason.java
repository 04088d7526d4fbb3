package io.agentsandbox.core.model;

/** Why a claim was not answered with a sandbox. Each maps to one HTTP status. */
public enum RejectReason {
  /** The pool named by the claim does not exist ({@code 404}). */
  UNKNOWN_POOL(404, "unknown_pool"),
  /** The shard's claim queue is full; retry later ({@code 503}). */
  QUEUE_FULL(503, "queue_full"),
  /** The pool has no ready sandbox and the claim said {@code onEmpty: reject} ({@code 503}). */
  POOL_EMPTY(503, "pool_empty"),
  /**
   * The pool cannot take another waiting claim: either the claims already waiting are more than its
   * starting members plus what it can create within the scheduler's admitted-wait bound, or the
   * pool's or shard's cap on waiting claims is reached. Answered at once, with {@code Retry-After},
   * instead of letting the claim wait past any useful deadline ({@code 503}).
   */
  OVERLOADED(503, "overloaded"),
  /** The tenant already holds its cap of concurrent claims on this pool ({@code 429}). */
  TENANT_QUOTA(429, "tenant_quota"),
  /** No sandbox became ready before the claim's wait deadline ({@code 504}). */
  DEADLINE(504, "deadline_exceeded"),
  /** A cold start failed in the backend ({@code 503}). */
  PROVISION_FAILED(503, "provision_failed"),
  /**
   * The binding could not be made durable (the backend's binding store failed), so the claim was
   * released rather than acknowledged; retry ({@code 503}).
   */
  BINDING_NOT_DURABLE(503, "binding_not_durable"),
  /** The pool was removed while the claim waited ({@code 404}). */
  POOL_REMOVED(404, "pool_removed"),
  /** The claim was released (cancelled) while it waited ({@code 409}). */
  CANCELLED(409, "cancelled"),
  /**
   * The pool's runtime class cannot run on this backend (for example Kata on a single host without
   * a {@code --runtime-map}); retrying will not help ({@code 422}).
   */
  RUNTIME_CLASS_UNAVAILABLE(422, "runtime_class_unavailable"),
  /** The scheduler is shutting down ({@code 503}). */
  SHUTTING_DOWN(503, "shutting_down"),
  /** A bug: the scheduler failed while handling the claim; counted and logged ({@code 500}). */
  INTERNAL_ERROR(500, "internal_error");

  private final int httpStatus;
  private final String code;

  RejectReason(int httpStatus, String code) {
    this.httpStatus = httpStatus;
    this.code = code;
  }

  public int httpStatus() {
    return httpStatus;
  }

  /** Stable machine-readable code used in error bodies and metric tags. */
  public String code() {
    return code;
  }
}
