package io.agentsandbox.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code agent-sandbox cp}: copies one file into or out of a sandbox's /workspace. */
@Command(
    name = "cp",
    mixinStandardHelpOptions = true,
    description = {
      "Copies a file into or out of a sandbox's /workspace.",
      "  agent-sandbox cp data.csv CLAIM:in/data.csv",
      "  agent-sandbox cp CLAIM:out/result.json .",
      "Remote paths are relative to /workspace; '-' is standard input or output."
    })
final class CpCommand extends Subcommand {
  private static final Pattern REMOTE = Pattern.compile("([A-Za-z0-9][A-Za-z0-9._-]*):(.*)");

  @Parameters(index = "0", paramLabel = "SOURCE", description = "A local path or CLAIM:path.")
  String source;

  @Parameters(index = "1", paramLabel = "DEST", description = "A local path or CLAIM:path.")
  String dest;

  @CommandLine.Mixin ClaimTokenOption token;

  @Override
  public Integer call() throws IOException {
    Matcher from = REMOTE.matcher(source);
    Matcher to = REMOTE.matcher(dest);
    boolean download = from.matches() && !Files.exists(Path.of(source));
    boolean upload = to.matches() && !Files.exists(Path.of(dest));
    if (download == upload) {
      throw usage("exactly one of SOURCE and DEST must be CLAIM:path");
    }
    if (upload) upload(to.group(1), to.group(2));
    else download(from.group(1), from.group(2));
    return 0;
  }

  private void upload(String claimId, String remote) throws IOException {
    byte[] content;
    if (source.equals("-")) {
      content = cli.stdin.readAllBytes();
    } else {
      Path local = Path.of(source);
      if (Files.isDirectory(local)) throw usage(source + " is a directory; cp copies files");
      content = Files.readAllBytes(local);
      if (remote.isEmpty() || remote.endsWith("/"))
        remote = remote + local.getFileName().toString();
    }
    if (remote.isEmpty()) throw usage("DEST needs a path");
    String path = remote;
    cli.claims()
        .onClaim(
            claimId,
            token.claimToken,
            h -> {
              h.writeFile(path, content);
              return 0;
            });
  }

  private void download(String claimId, String remote) throws IOException {
    byte[] content = cli.claims().onClaim(claimId, token.claimToken, h -> h.readFile(remote));
    if (dest.equals("-")) {
      // bytes as they are: through the raw stream when the writer wraps System.out
      out().flush();
      if (cli.rawOut != null) {
        cli.rawOut.write(content);
        cli.rawOut.flush();
      } else {
        out().print(new String(content, StandardCharsets.UTF_8));
        out().flush();
      }
      return;
    }
    Path local = Path.of(dest);
    if (Files.isDirectory(local)) {
      String name = remote.substring(remote.lastIndexOf('/') + 1);
      local = local.resolve(name);
    }
    Files.write(local, content);
  }
}
