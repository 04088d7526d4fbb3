package io.agentsandbox.client;

/**
 * What a command did. From {@link SandboxHandle#exec} the output is complete (up to the server's
 * {@code --exec-output-limit-bytes}, flagged by the truncation flags); from {@link
 * SandboxHandle#execStream} {@code stdout} and {@code stderr} are empty, the output having gone to
 * the consumer.
 *
 * @param exitCode the exit code; 128 + signal when killed (137 on timeout)
 * @param stdout standard output (UTF-8)
 * @param stderr standard error (UTF-8)
 * @param stdoutTruncated more output than the server keeps was produced
 * @param stderrTruncated same for standard error
 * @param timedOut the command was killed at its timeout
 * @param durationMs how long it ran
 */
public record ExecResult(
    int exitCode,
    String stdout,
    String stderr,
    boolean stdoutTruncated,
    boolean stderrTruncated,
    boolean timedOut,
    double durationMs) {}
