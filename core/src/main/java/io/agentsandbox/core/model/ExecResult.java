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
 * @param path how the command reached the sandbox: {@link #VIA_AGENT} (its in-sandbox agent),
 *     {@link #VIA_RUNTIME} (the previous path: {@code runsc exec}, {@code nsenter}, {@code
 *     pods/exec}), or null when the backend does not say
 */
public record ExecResult(
    int exitCode,
    byte[] stdout,
    byte[] stderr,
    boolean stdoutTruncated,
    boolean stderrTruncated,
    boolean timedOut,
    long durationNs,
    boolean oomKilled,
    String path) {

  /** {@link #path} of a command served by the sandbox's agent. */
  public static final String VIA_AGENT = "agent";

  /** {@link #path} of a command run through the runtime (no agent in the sandbox). */
  public static final String VIA_RUNTIME = "runtime";

  /** The same result, saying how the command reached the sandbox. */
  public ExecResult withPath(String how) {
    return withEnding(timedOut, oomKilled, how);
  }

  /** The same output and duration, saying how the command ended and how it reached the sandbox. */
  public ExecResult withEnding(boolean timedOut, boolean oomKilled, String how) {
    return new ExecResult(
        exitCode,
        stdout,
        stderr,
        stdoutTruncated,
        stderrTruncated,
        timedOut,
        durationNs,
        oomKilled,
        how);
  }
}
