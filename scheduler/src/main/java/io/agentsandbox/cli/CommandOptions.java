package io.agentsandbox.cli;

import io.agentsandbox.client.ExecSpec;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** Options of a command run in a sandbox ({@code exec}, {@code run}). */
final class CommandOptions {
  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Kill the command (not the sandbox) after this long (server default 30s).")
  Duration timeout;

  @Option(
      names = {"-e", "--env"},
      paramLabel = "NAME=VALUE",
      description = "An environment variable for the command (repeatable).")
  Map<String, String> env = new LinkedHashMap<>();

  @Option(
      names = {"-w", "--workdir"},
      paramLabel = "DIR",
      description = "Working directory inside the sandbox (default /workspace).")
  String workdir;

  @Option(
      names = {"-i", "--stdin"},
      description = "Send this CLI's standard input to the command (read whole first).")
  boolean stdin;

  ExecSpec spec(List<String> command, InputStream in) throws IOException {
    ExecSpec s = ExecSpec.of(command);
    if (timeout != null) s = s.withTimeout(timeout);
    for (Map.Entry<String, String> e : env.entrySet()) s = s.withEnv(e.getKey(), e.getValue());
    if (workdir != null) s = s.withWorkdir(workdir);
    if (stdin) s = s.withStdin(in.readAllBytes());
    return s;
  }

  /** {@link CommandOptions} as a picocli mixin. */
  static final class Mixin {
    @CommandLine.ArgGroup(exclusive = false)
    CommandOptions options = new CommandOptions();
  }
}
