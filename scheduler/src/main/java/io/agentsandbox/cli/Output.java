package io.agentsandbox.cli;

/** The values of a command's {@code -o/--output}. */
enum Output {
  table,
  json,
  id
}
