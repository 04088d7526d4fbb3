package io.agentsandbox.core.model;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A command to run inside a sandbox. Immutable (the stdin array is not copied: the caller hands it
 * over and does not touch it again).
 *
 * @param command the program and its arguments; never empty
 * @param stdin bytes fed to the command's standard input, empty for none
 * @param env variables added to the sandbox's environment for this command
 * @param workdir absolute working directory inside the sandbox ({@code /workspace} when null)
 * @param timeoutMs the command (not the sandbox) is killed after this long
 */
public record ExecRequest(
    List<String> command, byte[] stdin, Map<String, String> env, String workdir, long timeoutMs) {

  /** Working directory used when a request names none. */
  public static final String WORKSPACE = "/workspace";

  public ExecRequest {
    command = List.copyOf(Objects.requireNonNull(command, "command"));
    if (command.isEmpty()) throw new IllegalArgumentException("command must not be empty");
    stdin = stdin == null ? new byte[0] : stdin;
    env = env == null ? Map.of() : Map.copyOf(env);
    workdir = workdir == null ? WORKSPACE : workdir;
    if (timeoutMs <= 0) throw new IllegalArgumentException("timeoutMs must be > 0: " + timeoutMs);
  }
}
