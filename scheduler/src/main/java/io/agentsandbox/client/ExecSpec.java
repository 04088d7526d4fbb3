package io.agentsandbox.client;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A command to run in a sandbox. Immutable; start from {@link #of(String...)}.
 *
 * <pre>{@code
 * ExecSpec spec = ExecSpec.of("python3", "-c", "import sys; print(sys.stdin.read())")
 *     .withStdin("hello")
 *     .withTimeout(Duration.ofSeconds(10));
 * }</pre>
 *
 * @param command program and arguments (not run through a shell; use {@code sh -c} for one)
 * @param stdin bytes fed to standard input, or null for none
 * @param env extra environment variables (names {@code [A-Za-z_][A-Za-z0-9_]*})
 * @param timeout kills the command (not the sandbox) after this long; null for the server's 30 s
 * @param workdir working directory inside the sandbox; null for {@code /workspace}
 */
public record ExecSpec(
    List<String> command, byte[] stdin, Map<String, String> env, Duration timeout, String workdir) {

  /** Validates and copies. */
  public ExecSpec {
    if (command == null || command.isEmpty())
      throw new IllegalArgumentException("command must not be empty");
    command = List.copyOf(command);
    env = env == null ? Map.of() : Map.copyOf(env);
  }

  /** A command with no stdin, no extra environment, default timeout and workdir. */
  public static ExecSpec of(String... argv) {
    return new ExecSpec(List.of(argv), null, null, null, null);
  }

  /** A command given as a list. */
  public static ExecSpec of(List<String> argv) {
    return new ExecSpec(argv, null, null, null, null);
  }

  /** With standard input. */
  public ExecSpec withStdin(byte[] stdin) {
    return new ExecSpec(command, stdin, env, timeout, workdir);
  }

  /** With standard input, UTF-8 encoded. */
  public ExecSpec withStdin(String stdin) {
    return withStdin(stdin.getBytes(StandardCharsets.UTF_8));
  }

  /** With one more environment variable. */
  public ExecSpec withEnv(String name, String value) {
    Map<String, String> copy = new LinkedHashMap<>(env);
    copy.put(name, value);
    return new ExecSpec(command, stdin, copy, timeout, workdir);
  }

  /** With a timeout (whole milliseconds, 1 ms to 1 h). */
  public ExecSpec withTimeout(Duration timeout) {
    return new ExecSpec(command, stdin, env, timeout, workdir);
  }

  /** With an absolute working directory inside the sandbox. */
  public ExecSpec withWorkdir(String workdir) {
    return new ExecSpec(command, stdin, env, timeout, workdir);
  }
}
