package io.agentsandbox.scheduler.http;

/**
 * A request field is invalid. Thrown only while decoding at the HTTP edge (never on the claim
 * path); stackless because it is an expected outcome.
 */
class BadRequestException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String field;

  BadRequestException(String field, String message) {
    super(message, null, false, false);
    this.field = field;
  }

  String field() {
    return field;
  }

  /**
   * The body's {@code tenant} differs from the {@code X-Tenant} header (or from the API token's
   * tenant).
   */
  static final class TenantMismatch extends BadRequestException {
    private static final long serialVersionUID = 1L;

    TenantMismatch(String message) {
      super("tenant", message);
    }
  }
}
