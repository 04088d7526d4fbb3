package io.agentsandbox.cli;

import io.agentsandbox.client.ExecSpec;
import io.agentsandbox.client.SandboxHandle;
import java.io.IOException;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code agent-sandbox run}: claim, one command, release. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Claims a sandbox, runs one command in it, releases it; exits with its code.",
      "The command's output is streamed as it comes.",
      "  agent-sandbox run --pool python-gvisor -- python3 -c 'print(1+1)'"
    })
final class RunCommand extends Subcommand {
  @CommandLine.Mixin ClaimArgs.Mixin args;
  @CommandLine.Mixin CommandOptions.Mixin options;

  @Parameters(
      arity = "1..*",
      paramLabel = "COMMAND",
      description = "The program and its arguments (after --).")
  List<String> command;

  @Override
  public Integer call() throws IOException {
    ExecSpec exec = options.options.spec(command, cli.stdin);
    try (SandboxHandle h = args.claim.claim(cli.client(null), spec)) {
      return ExecStream.stream(h, exec, out(), err());
    }
  }
}
