package io.agentsandbox.cli;

import io.agentsandbox.client.PoolInfo;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code agent-sandbox pools}. */
@Command(
    name = "pools",
    mixinStandardHelpOptions = true,
    description = "Lists the warm pools and their counts.")
final class PoolsCommand extends Subcommand {
  @Option(
      names = {"-o", "--output"},
      paramLabel = "table|json",
      defaultValue = "table",
      description = "Output format: ${COMPLETION-CANDIDATES} (default table).")
  Output output;

  @Override
  public Integer call() throws IOException {
    List<PoolInfo> pools = cli.client(null).pools();
    PrintWriter out = out();
    if (output == Output.json) {
      Tables.printJson(out, pools);
    } else {
      List<String[]> rows = new ArrayList<>();
      rows.add(
          new String[] {
            "POOL", "RUNTIME", "BACKEND", "READY", "STARTING", "CLAIMED", "PENDING", "WARM-HIT"
          });
      for (PoolInfo p : pools) {
        rows.add(
            new String[] {
              p.namespace().equals("default") ? p.name() : p.namespace() + "/" + p.name(),
              p.runtimeClassName() + (p.available() ? "" : " (unavailable)"),
              p.backend() + (p.simulated() ? " (SIMULATED)" : ""),
              Integer.toString(p.ready()),
              Integer.toString(p.starting()),
              Integer.toString(p.claimed()),
              Integer.toString(p.pending()),
              String.format(Locale.ROOT, "%.2f", p.warmHitRatio())
            });
      }
      Tables.printTable(out, rows);
    }
    out.flush();
    return 0;
  }
}
