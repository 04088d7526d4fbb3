package io.agentsandbox.scheduler.http;

/**
 * A request field is invalid. Thrown only while decoding at the HTTP edge (never on the claim
 * path); stackless because it is an expected outcome.
 */
final class BadRequestException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String field;

  BadRequestException(String field, String message) {
    super(message, null, false, false);
    this.field = field;
  }

  String field() {
    return field;
  }
}
