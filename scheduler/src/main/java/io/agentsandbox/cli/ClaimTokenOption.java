package io.agentsandbox.cli;

import picocli.CommandLine.Option;

/**
 * {@code --claim-token}, for commands on a claim this CLI did not save ({@code exec}, {@code cp}).
 */
final class ClaimTokenOption {
  @Option(
      names = "--claim-token",
      paramLabel = "TOKEN",
      description = "The claim's token, for a claim this CLI did not save.")
  String claimToken;
}
