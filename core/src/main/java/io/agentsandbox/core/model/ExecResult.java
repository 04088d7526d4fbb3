package io.agentsandbox.core.model;

/**
 * What a command run in a sandbox did. Immutable (the arrays are handed over, not copied).
 *
 * @param exitCode the command's exit status ({@code 128 + signal} when killed)
 * @param stdout its standard output, at most the backend's output limit
 * @param stderr its standard error, at most the backend's output limit
 * @param stdoutTruncated true when more output was produced than {@code stdout} holds
 * @param stderrTruncated true when more error output was produced than {@code stderr} holds
 * @param timedOut true when the command was killed for running past its timeout
 * @param durationNs wall time from start to exit
 * @param oomKilled true when the kernel killed the command for exceeding the sandbox's memory limit
 */
public record ExecResult(
    int exitCode,
    byte[] stdout,
    byte[] stderr,
    boolean stdoutTruncated,
    boolean stderrTruncated,
    boolean timedOut,
    long durationNs,
    boolean oomKilled) {

  /** A result of a command that was not killed for memory. */
  public ExecResult(
      int exitCode,
      byte[] stdout,
      byte[] stderr,
      boolean stdoutTruncated,
      boolean stderrTruncated,
      boolean timedOut,
      long durationNs) {
    this(exitCode, stdout, stderr, stdoutTruncated, stderrTruncated, timedOut, durationNs, false);
  }
}
