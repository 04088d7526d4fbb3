package io.agentsandbox.cli;

/** A command line that names something this CLI cannot use (exit 2, one line, no usage). */
final class UsageProblem extends RuntimeException {
  private static final long serialVersionUID = 1L;

  UsageProblem(String message) {
    super(message, null, false, false);
  }
}
