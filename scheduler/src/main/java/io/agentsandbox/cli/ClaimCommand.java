package io.agentsandbox.cli;

import io.agentsandbox.client.AgentSandboxClient;
import io.agentsandbox.client.ClaimInfo;
import io.agentsandbox.client.SandboxHandle;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code agent-sandbox claim}: claims a sandbox and saves the claim in the claim store. */
@Command(
    name = "claim",
    mixinStandardHelpOptions = true,
    description = {
      "Claims a sandbox and prints the claim (its token included with -o json).",
      "The claim is saved (token included, mode 0600) so that exec, cp and release take its id."
    })
final class ClaimCommand extends Subcommand {
  @CommandLine.Mixin ClaimArgs.Mixin args;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "json|table|id",
      defaultValue = "json",
      description = "Output: json (default, with the token), table, or id (the claim id alone).")
  Output output;

  @Override
  public Integer call() throws IOException {
    AgentSandboxClient client = cli.client(null);
    SandboxHandle h = args.claim.claim(client, spec);
    ClaimInfo c = h.claim();
    Path saved;
    try {
      saved =
          cli.store.save(
              new ClaimStore.Saved(
                  h.claimId(),
                  h.sandboxName(),
                  h.claimToken(),
                  client.baseUrl().toString(),
                  c.namespace() + "/" + c.pool(),
                  c.tenant()));
    } catch (IOException | RuntimeException e) {
      h.close(); // an unusable claim is not left holding a sandbox
      throw e;
    }
    PrintWriter out = out();
    switch (output) {
      case id -> out.println(h.claimId());
      case json -> {
        Map<String, Object> m = claimMap(c);
        m.put("token", h.claimToken());
        Tables.printJson(out, m);
      }
      case table -> {
        List<String[]> rows = new ArrayList<>();
        rows.add(
            new String[] {"CLAIM", "POOL", "SANDBOX", "RUNTIME", "LAUNCH", "WAITED", "EXPIRES"});
        rows.add(
            new String[] {
              c.claimId(),
              c.namespace() + "/" + c.pool(),
              c.sandbox().name(),
              c.sandbox().runtimeClassName(),
              c.launchType(),
              String.format(Locale.ROOT, "%.1fms", c.waitedMs()),
              c.expiresAt() == null ? "never" : c.expiresAt().toString()
            });
        Tables.printTable(out, rows);
      }
    }
    out.flush();
    PrintWriter err = err();
    if (c.sandbox().simulated()) {
      err.println("agent-sandbox: note: the server runs the SIMULATED backend; exec answers 501");
    }
    err.println("agent-sandbox: claim token saved in " + saved);
    err.flush();
    return 0;
  }

  static Map<String, Object> claimMap(ClaimInfo c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("claimId", c.claimId());
    m.put("status", c.status());
    m.put("pool", Map.of("namespace", c.namespace(), "name", c.pool()));
    m.put("tenant", c.tenant());
    m.put("launchType", c.launchType());
    m.put("waitedMs", c.waitedMs());
    m.put("expiresAt", c.expiresAt() == null ? null : c.expiresAt().toString());
    m.put("sandbox", c.sandbox());
    return m;
  }
}
