package io.agentsandbox.scheduler.http;

/** A request names something that does not exist. Stackless; HTTP edge only. */
final class NotFoundException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String field;

  NotFoundException(String field, String message) {
    super(message, null, false, false);
    this.field = field;
  }

  String field() {
    return field;
  }
}
