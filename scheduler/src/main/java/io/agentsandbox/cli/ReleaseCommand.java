package io.agentsandbox.cli;

import io.agentsandbox.client.NotFoundException;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code agent-sandbox release}: releases claims and forgets their saved tokens. */
@Command(
    name = "release",
    mixinStandardHelpOptions = true,
    description = "Releases a claim: its sandbox is deleted. Forgets the saved token.")
final class ReleaseCommand extends Subcommand {
  @Parameters(paramLabel = "CLAIM", arity = "1..*", description = "Claim ids.")
  List<String> claimIds;

  @Override
  public Integer call() throws IOException {
    int status = 0;
    for (String id : claimIds) {
      Optional<ClaimStore.Saved> saved = cli.store.load(id);
      try {
        // a claim of another tenant (claim --tenant) is released as that tenant
        String tenant = saved.map(ClaimStore.Saved::tenant).orElse(null);
        cli.client(saved.map(ClaimStore.Saved::url).orElse(null)).release(id, tenant);
        err().println("agent-sandbox: released " + id);
      } catch (NotFoundException e) {
        err().println("agent-sandbox: " + id + " was already released or expired");
        status = AgentSandboxCli.CLI_FAILURE;
      }
      cli.store.delete(id);
    }
    err().flush();
    return status;
  }
}
