package io.agentsandbox.cli;

import io.agentsandbox.client.AgentSandboxClient;
import io.agentsandbox.client.NotFoundException;
import io.agentsandbox.client.SandboxHandle;
import java.io.IOException;
import java.util.Optional;
import java.util.function.Function;

/** Handles on claims named on the command line, from {@code --claim-token} or the claim store. */
final class ClaimAttacher {
  /** The client of a server: of a saved claim's URL, or (null) of the command line's. */
  private final Function<String, AgentSandboxClient> clients;

  private final ClaimStore store;

  ClaimAttacher(Function<String, AgentSandboxClient> clients, ClaimStore store) {
    this.clients = clients;
    this.store = store;
  }

  /** A handle on a claim named on the command line, from --claim-token or the claim store. */
  SandboxHandle attach(String claimId, String claimToken) throws IOException {
    if (claimToken != null) return clients.apply(null).attach(claimId, null, claimToken);
    Optional<ClaimStore.Saved> saved = store.load(claimId);
    if (saved.isEmpty()) {
      throw new UsageProblem(
          "no saved claim "
              + claimId
              + " in "
              + store.dir()
              + " (claim it with `agent-sandbox claim`, or give --claim-token)");
    }
    ClaimStore.Saved s = saved.get();
    return clients.apply(s.url()).attach(s.claimId(), s.sandbox(), s.token());
  }

  /**
   * Runs {@code call} on a claim's handle; when the server says the claim no longer exists
   * (released or expired), its saved token is useless and is forgotten before the error goes on.
   */
  <T> T onClaim(String claimId, String claimToken, Function<SandboxHandle, T> call)
      throws IOException {
    SandboxHandle h = attach(claimId, claimToken);
    try {
      return call.apply(h);
    } catch (NotFoundException e) {
      if ("id".equals(e.field())) store.delete(claimId);
      throw e;
    }
  }
}
