package io.agentsandbox.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentsandbox.client.AgentSandboxClient;
import io.agentsandbox.client.AgentSandboxException;
import io.agentsandbox.client.ClaimInfo;
import io.agentsandbox.client.ClaimOptions;
import io.agentsandbox.client.ExecResult;
import io.agentsandbox.client.ExecSpec;
import io.agentsandbox.client.NotFoundException;
import io.agentsandbox.client.OnEmpty;
import io.agentsandbox.client.PoolInfo;
import io.agentsandbox.client.SandboxGoneException;
import io.agentsandbox.client.SandboxHandle;
import io.agentsandbox.client.TransportException;
import io.agentsandbox.client.UnauthorizedException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code agent-sandbox}: the command line of the claim API ({@code bin/agent-sandbox}). Claims made
 * with {@code claim} are remembered in {@link ClaimStore} (token included, files 0600), so {@code
 * exec}, {@code cp} and {@code release} take just the claim id. Exit codes: {@code exec} and {@code
 * run} exit with the command's code; a failure of the CLI itself (server error, unreachable server,
 * unknown claim) exits 125 with one line on standard error; a usage error exits 2.
 */
@Command(
    name = "agent-sandbox",
    mixinStandardHelpOptions = true,
    versionProvider = AgentSandboxCli.Version.class,
    description = {
      "Claim sandboxes from warm pools, run commands in them, copy files, release them.",
      "",
      "  agent-sandbox run --pool python-gvisor -- python3 -c 'print(1+1)'",
      "  C=$(agent-sandbox claim --pool python-gvisor -o id)",
      "  agent-sandbox cp data.csv $C:data.csv",
      "  agent-sandbox exec $C -- python3 -c 'print(open(\"data.csv\").read())'",
      "  agent-sandbox release $C",
      ""
    },
    subcommands = {
      AgentSandboxCli.Pools.class,
      AgentSandboxCli.Claim.class,
      AgentSandboxCli.Exec.class,
      AgentSandboxCli.Cp.class,
      AgentSandboxCli.Release.class,
      AgentSandboxCli.Run.class,
    },
    footer = {
      "",
      "Server and API token: --url/--token, or AGENT_SANDBOX_URL / AGENT_SANDBOX_TOKEN",
      "(default http://127.0.0.1:8080, no token). Claims are remembered in",
      "~/.cache/agent-sandbox/claims/<id>.json (mode 0600; AGENT_SANDBOX_CLAIMS_DIR overrides).",
      "Exit codes: exec/run: the command's; 125: the CLI failed; 2: usage."
    })
public final class AgentSandboxCli implements Runnable {

  /** Exit code of a failure of the CLI itself (as {@code docker run}). */
  static final int CLI_FAILURE = 125;

  /** Exit code of a usage error (picocli's). */
  static final int USAGE = 2;

  static final String DEFAULT_URL = "http://127.0.0.1:8080";

  /** A command line that names something this CLI cannot use (exit 2, one line, no usage). */
  static final class UsageProblem extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageProblem(String message) {
      super(message, null, false, false);
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  @Spec CommandSpec spec;

  @Option(
      names = "--url",
      scope = ScopeType.INHERIT,
      paramLabel = "URL",
      description = "The server (env AGENT_SANDBOX_URL; default " + DEFAULT_URL + ").")
  String url;

  @Option(
      names = "--token",
      scope = ScopeType.INHERIT,
      paramLabel = "TOKEN",
      description =
          "The API token for claims and pools (env AGENT_SANDBOX_TOKEN); not the claim token.")
  String token;

  private final Map<String, String> env;
  private final InputStream stdin;
  private final ClaimStore store;

  /** A CLI reading the process's environment and standard input. */
  public AgentSandboxCli() {
    this(System.getenv(), System.in);
  }

  /** A CLI with the given environment and standard input (tests). */
  public AgentSandboxCli(Map<String, String> env, InputStream stdin) {
    this.env = env;
    this.stdin = stdin;
    this.store = ClaimStore.fromEnvironment(env);
  }

  /** Runs the CLI and exits the JVM with its exit code. */
  public static void main(String[] args) {
    AgentSandboxCli cli = new AgentSandboxCli();
    cli.rawOut = System.out;
    System.exit(commandLine(cli).execute(args));
  }

  /**
   * The picocli command line of a CLI, with the error handling of {@link #main}: tests call {@code
   * execute} on it after {@code setOut}/{@code setErr}.
   */
  public static CommandLine commandLine(AgentSandboxCli cli) {
    CommandLine cl = new CommandLine(cli);
    AutoComplete.GenerateCompletion completion = new AutoComplete.GenerateCompletion();
    CommandLine completionCommand = new CommandLine(completion).setCommandName("completion");
    completionCommand
        .getCommandSpec()
        .usageMessage()
        .description("Prints a bash/zsh completion script: source <(agent-sandbox completion)")
        .hidden(false);
    cl.addSubcommand("completion", completionCommand);
    cl.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          commandLine.getErr().println("agent-sandbox: " + cli.explain(e));
          commandLine.getErr().flush();
          return e instanceof UsageProblem ? USAGE : CLI_FAILURE;
        });
    return cl;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  // ---------------------------------------------------------------- shared

  /** The server: --url, else the saved claim's, else the environment's, else the default. */
  String serverUrl(String savedUrl) {
    if (url != null && !url.isBlank()) return url;
    if (savedUrl != null && !savedUrl.isBlank()) return savedUrl;
    String fromEnv = env.get("AGENT_SANDBOX_URL");
    return fromEnv != null && !fromEnv.isBlank() ? fromEnv : DEFAULT_URL;
  }

  AgentSandboxClient client(String savedUrl) {
    String t = token != null ? token : env.get("AGENT_SANDBOX_TOKEN");
    return AgentSandboxClient.builder().baseUrl(serverUrl(savedUrl)).token(t).build();
  }

  /** A handle on a claim named on the command line, from --claim-token or the claim store. */
  SandboxHandle attach(String claimId, String claimToken) throws IOException {
    if (claimToken != null) return client(null).attach(claimId, null, claimToken);
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
    return client(s.url()).attach(s.claimId(), s.sandbox(), s.token());
  }

  String explain(Exception e) {
    if (e instanceof SandboxGoneException g) {
      return "the sandbox is gone (killed, crashed or deleted): "
          + g.serverMessage()
          + "; release the claim and claim another";
    }
    if (e instanceof TransportException t) {
      return "cannot reach the server at "
          + serverUrl(null)
          + " ("
          + (t.getCause() == null ? t.getMessage() : t.getCause())
          + "); is it running (./run.sh)? --url or AGENT_SANDBOX_URL names another";
    }
    if (e instanceof UnauthorizedException u && u.status() == 401) {
      return u.getMessage() + " (API token: --token or AGENT_SANDBOX_TOKEN)";
    }
    if (e instanceof AgentSandboxException a) return a.getMessage();
    if (e instanceof UsageProblem u) return u.getMessage();
    if (e instanceof UncheckedIOException u) return u.getCause().toString();
    return e.toString();
  }

  /** Parses {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}; a bare number is seconds. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    private static final Pattern P = Pattern.compile("(\\d+)(ms|s|m|h)?");

    @Override
    public Duration convert(String value) {
      Matcher m = P.matcher(value.strip().toLowerCase(Locale.ROOT));
      if (!m.matches())
        throw new CommandLine.TypeConversionException(
            "'" + value + "' is not a duration like 500ms, 10s, 2m, 1h");
      long n = Long.parseLong(m.group(1));
      String unit = m.group(2) == null ? "s" : m.group(2);
      return switch (unit) {
        case "ms" -> Duration.ofMillis(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofSeconds(n);
      };
    }
  }

  /** Options of a command run in a sandbox ({@code exec}, {@code run}). */
  static final class CommandOptions {
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
  }

  /** Streams a command's output to the CLI's out/err; returns its exit code. */
  static int stream(SandboxHandle sandbox, ExecSpec spec, CommandSpec cmd) {
    PrintWriter out = cmd.commandLine().getOut();
    PrintWriter err = cmd.commandLine().getErr();
    ExecResult r =
        sandbox.execStream(
            spec,
            chunk -> {
              PrintWriter w = chunk.isStderr() ? err : out;
              w.print(chunk.data());
              w.flush();
            });
    if (r.timedOut()) {
      err.println(
          "agent-sandbox: the command timed out and was killed (exit " + r.exitCode() + ")");
    }
    if (r.stdoutTruncated() || r.stderrTruncated()) {
      err.println("agent-sandbox: output was truncated by the server's output limit");
    }
    err.flush();
    return r.exitCode();
  }

  /** Options of a claim ({@code claim}, {@code run}). */
  static final class ClaimArgs {
    @Option(
        names = {"-p", "--pool"},
        required = true,
        paramLabel = "POOL",
        description = "The pool: name, or namespace/name (see `agent-sandbox pools`).")
    String pool;

    @Option(
        names = "--wait",
        paramLabel = "DURATION",
        converter = DurationConverter.class,
        description = "How long the server may wait for a sandbox, e.g. 10s (server default 10s).")
    Duration waitTime;

    @Option(
        names = "--on-empty",
        paramLabel = "wait|cold|reject",
        description =
            "No ready sandbox: wait (default), cold (start one now), reject (fail at once).")
    String onEmpty;

    @Option(
        names = "--ttl",
        paramLabel = "DURATION",
        converter = DurationConverter.class,
        description = "Release automatically after this long (server default 1h; 0 = never).")
    Duration ttl;

    @Option(names = "--tenant", paramLabel = "TENANT", description = "The tenant (X-Tenant).")
    String tenant;

    @Option(names = "--priority", paramLabel = "N", description = "-1000..1000, higher first.")
    Integer priority;

    ClaimOptions options(CommandSpec spec) {
      ClaimOptions o = ClaimOptions.defaults();
      if (waitTime != null) o = o.withWait(waitTime);
      if (onEmpty != null) {
        try {
          o = o.withOnEmpty(OnEmpty.valueOf(onEmpty.toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
          throw new CommandLine.ParameterException(
              spec.commandLine(), "--on-empty must be wait, cold or reject, not " + onEmpty);
        }
      }
      if (ttl != null) o = o.withTtl(ttl);
      if (tenant != null) o = o.withTenant(tenant);
      if (priority != null) o = o.withPriority(priority);
      return o;
    }
  }

  // ---------------------------------------------------------------- commands

  @Command(
      name = "pools",
      mixinStandardHelpOptions = true,
      description = "Lists the warm pools and their counts.")
  static final class Pools implements Callable<Integer> {
    @CommandLine.ParentCommand AgentSandboxCli cli;
    @Spec CommandSpec spec;

    @Option(
        names = {"-o", "--output"},
        paramLabel = "table|json",
        defaultValue = "table",
        description = "Output format: ${COMPLETION-CANDIDATES} (default table).")
    Output output;

    @Override
    public Integer call() throws IOException {
      List<PoolInfo> pools = cli.client(null).pools();
      PrintWriter out = spec.commandLine().getOut();
      if (output == Output.json) {
        out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(pools));
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
        printTable(out, rows);
      }
      out.flush();
      return 0;
    }
  }

  enum Output {
    table,
    json,
    id
  }

  @Command(
      name = "claim",
      mixinStandardHelpOptions = true,
      description = {
        "Claims a sandbox and prints the claim (its token included with -o json).",
        "The claim is saved (token included, mode 0600) so that exec, cp and release take its id."
      })
  static final class Claim implements Callable<Integer> {
    @CommandLine.ParentCommand AgentSandboxCli cli;
    @Spec CommandSpec spec;
    @CommandLine.Mixin ClaimArgsMixin args;

    @Option(
        names = {"-o", "--output"},
        paramLabel = "json|table|id",
        defaultValue = "json",
        description = "Output: json (default, with the token), table, or id (the claim id alone).")
    Output output;

    @Override
    public Integer call() throws IOException {
      AgentSandboxClient client = cli.client(null);
      SandboxHandle h = client.claim(args.claim.pool, args.claim.options(spec));
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
      PrintWriter out = spec.commandLine().getOut();
      switch (output) {
        case id -> out.println(h.claimId());
        case json -> {
          Map<String, Object> m = claimMap(c);
          m.put("token", h.claimToken());
          out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(m));
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
          printTable(out, rows);
        }
      }
      out.flush();
      if (c.sandbox().simulated()) {
        spec.commandLine()
            .getErr()
            .println(
                "agent-sandbox: note: the server runs the SIMULATED backend; exec answers 501");
      }
      spec.commandLine().getErr().println("agent-sandbox: claim token saved in " + saved);
      spec.commandLine().getErr().flush();
      return 0;
    }
  }

  /** {@link ClaimArgs} as a picocli mixin. */
  static final class ClaimArgsMixin {
    @CommandLine.ArgGroup(exclusive = false, multiplicity = "1")
    ClaimArgs claim;
  }

  @Command(
      name = "exec",
      mixinStandardHelpOptions = true,
      description = {
        "Runs a command in a claimed sandbox, streaming its output; exits with its exit code.",
        "  agent-sandbox exec CLAIM -- python3 -c 'print(1+1)'"
      })
  static final class Exec implements Callable<Integer> {
    @CommandLine.ParentCommand AgentSandboxCli cli;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CLAIM", description = "The claim id (from `claim`).")
    String claimId;

    @Parameters(
        index = "1..*",
        arity = "1..*",
        paramLabel = "COMMAND",
        description = "The program and its arguments (after --).")
    List<String> command;

    @Option(
        names = "--claim-token",
        paramLabel = "TOKEN",
        description = "The claim's token, for a claim this CLI did not save.")
    String claimToken;

    @CommandLine.Mixin CommandOptionsMixin options;

    @Override
    public Integer call() throws IOException {
      ExecSpec exec = options.options.spec(command, cli.stdin);
      return cli.onClaim(claimId, claimToken, h -> stream(h, exec, spec));
    }
  }

  /** {@link CommandOptions} as a picocli mixin. */
  static final class CommandOptionsMixin {
    @CommandLine.ArgGroup(exclusive = false)
    CommandOptions options = new CommandOptions();
  }

  /**
   * Runs {@code call} on a claim's handle; when the server says the claim no longer exists
   * (released or expired), its saved token is useless and is forgotten before the error goes on.
   */
  <T> T onClaim(
      String claimId, String claimToken, java.util.function.Function<SandboxHandle, T> call)
      throws IOException {
    SandboxHandle h = attach(claimId, claimToken);
    try {
      return call.apply(h);
    } catch (NotFoundException e) {
      if ("id".equals(e.field())) store.delete(claimId);
      throw e;
    }
  }

  @Command(
      name = "cp",
      mixinStandardHelpOptions = true,
      description = {
        "Copies a file into or out of a sandbox's /workspace.",
        "  agent-sandbox cp data.csv CLAIM:in/data.csv",
        "  agent-sandbox cp CLAIM:out/result.json .",
        "Remote paths are relative to /workspace; '-' is standard input or output."
      })
  static final class Cp implements Callable<Integer> {
    private static final Pattern REMOTE = Pattern.compile("([A-Za-z0-9][A-Za-z0-9._-]*):(.*)");

    @CommandLine.ParentCommand AgentSandboxCli cli;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SOURCE", description = "A local path or CLAIM:path.")
    String source;

    @Parameters(index = "1", paramLabel = "DEST", description = "A local path or CLAIM:path.")
    String dest;

    @Option(
        names = "--claim-token",
        paramLabel = "TOKEN",
        description = "The claim's token, for a claim this CLI did not save.")
    String claimToken;

    @Override
    public Integer call() throws IOException {
      Matcher from = REMOTE.matcher(source);
      Matcher to = REMOTE.matcher(dest);
      boolean download = from.matches() && !Files.exists(Path.of(source));
      boolean upload = to.matches() && !Files.exists(Path.of(dest));
      if (download == upload) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "exactly one of SOURCE and DEST must be CLAIM:path");
      }
      if (upload) {
        String claimId = to.group(1);
        String remote = to.group(2);
        byte[] content;
        if (source.equals("-")) {
          content = cli.stdin.readAllBytes();
        } else {
          Path local = Path.of(source);
          if (Files.isDirectory(local))
            throw new CommandLine.ParameterException(
                spec.commandLine(), source + " is a directory; cp copies files");
          content = Files.readAllBytes(local);
          if (remote.isEmpty() || remote.endsWith("/"))
            remote = remote + local.getFileName().toString();
        }
        if (remote.isEmpty())
          throw new CommandLine.ParameterException(spec.commandLine(), "DEST needs a path");
        String path = remote;
        return cli.onClaim(
            claimId,
            claimToken,
            h -> {
              h.writeFile(path, content);
              return 0;
            });
      }
      String claimId = from.group(1);
      String remote = from.group(2);
      byte[] content = cli.onClaim(claimId, claimToken, h -> h.readFile(remote));
      if (dest.equals("-")) {
        // bytes as they are: through the raw stream when the writer wraps System.out
        spec.commandLine().getOut().flush();
        if (cli.rawOut != null) {
          cli.rawOut.write(content);
          cli.rawOut.flush();
        } else {
          spec.commandLine()
              .getOut()
              .print(new String(content, java.nio.charset.StandardCharsets.UTF_8));
          spec.commandLine().getOut().flush();
        }
        return 0;
      }
      Path local = Path.of(dest);
      if (Files.isDirectory(local)) {
        String name = remote.substring(remote.lastIndexOf('/') + 1);
        local = local.resolve(name);
      }
      Files.write(local, content);
      return 0;
    }
  }

  /** Standard output as bytes for {@code cp CLAIM:path -} (null in tests: the writer is used). */
  java.io.OutputStream rawOut;

  @Command(
      name = "release",
      mixinStandardHelpOptions = true,
      description = "Releases a claim: its sandbox is deleted. Forgets the saved token.")
  static final class Release implements Callable<Integer> {
    @CommandLine.ParentCommand AgentSandboxCli cli;
    @Spec CommandSpec spec;

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
          spec.commandLine().getErr().println("agent-sandbox: released " + id);
        } catch (NotFoundException e) {
          spec.commandLine()
              .getErr()
              .println("agent-sandbox: " + id + " was already released or expired");
          status = CLI_FAILURE;
        }
        cli.store.delete(id);
      }
      spec.commandLine().getErr().flush();
      return status;
    }
  }

  @Command(
      name = "run",
      mixinStandardHelpOptions = true,
      description = {
        "Claims a sandbox, runs one command in it, releases it; exits with its code.",
        "The command's output is streamed as it comes.",
        "  agent-sandbox run --pool python-gvisor -- python3 -c 'print(1+1)'"
      })
  static final class Run implements Callable<Integer> {
    @CommandLine.ParentCommand AgentSandboxCli cli;
    @Spec CommandSpec spec;
    @CommandLine.Mixin ClaimArgsMixin args;
    @CommandLine.Mixin CommandOptionsMixin options;

    @Parameters(
        arity = "1..*",
        paramLabel = "COMMAND",
        description = "The program and its arguments (after --).")
    List<String> command;

    @Override
    public Integer call() throws IOException {
      ExecSpec exec = options.options.spec(command, cli.stdin);
      try (SandboxHandle h = cli.client(null).claim(args.claim.pool, args.claim.options(spec))) {
        return stream(h, exec, spec);
      }
    }
  }

  // ---------------------------------------------------------------- output

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

  static void printTable(PrintWriter out, List<String[]> rows) {
    int[] width = new int[rows.get(0).length];
    for (String[] r : rows)
      for (int i = 0; i < r.length; i++) width[i] = Math.max(width[i], r[i].length());
    for (String[] r : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < r.length; i++) {
        line.append(r[i]);
        if (i < r.length - 1) line.append(" ".repeat(width[i] - r[i].length() + 2));
      }
      out.println(line);
    }
  }

  /** The version of the jar. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = AgentSandboxCli.class.getPackage().getImplementationVersion();
      return new String[] {"agent-sandbox " + (v == null ? "(development build)" : v)};
    }
  }
}
