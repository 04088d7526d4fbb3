package io.agentsandbox.cli;

import io.agentsandbox.client.ExecSpec;
import java.io.IOException;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code agent-sandbox exec}: runs a command in a claimed sandbox. */
@Command(
    name = "exec",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a command in a claimed sandbox, streaming its output; exits with its exit code.",
      "  agent-sandbox exec CLAIM -- python3 -c 'print(1+1)'"
    })
final class ExecCommand extends Subcommand {
  @Parameters(index = "0", paramLabel = "CLAIM", description = "The claim id (from `claim`).")
  String claimId;

  @Parameters(
      index = "1..*",
      arity = "1..*",
      paramLabel = "COMMAND",
      description = "The program and its arguments (after --).")
  List<String> command;

  @CommandLine.Mixin ClaimTokenOption token;
  @CommandLine.Mixin CommandOptions.Mixin options;

  @Override
  public Integer call() throws IOException {
    ExecSpec exec = options.options.spec(command, cli.stdin);
    return cli.claims()
        .onClaim(claimId, token.claimToken, h -> ExecStream.stream(h, exec, out(), err()));
  }
}
