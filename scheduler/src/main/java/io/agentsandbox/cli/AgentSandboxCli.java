package io.agentsandbox.cli;

import io.agentsandbox.client.AgentSandboxClient;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
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
    versionProvider = VersionProvider.class,
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
      PoolsCommand.class,
      ClaimCommand.class,
      ExecCommand.class,
      CpCommand.class,
      ReleaseCommand.class,
      RunCommand.class,
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

  /** Standard input, for {@code exec -i}, {@code run -i} and {@code cp - CLAIM:path}. */
  final InputStream stdin;

  /** The claims this CLI made. */
  final ClaimStore store;

  /** Standard output as bytes for {@code cp CLAIM:path -} (null in tests: the writer is used). */
  OutputStream rawOut;

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
          commandLine
              .getErr()
              .println("agent-sandbox: " + ErrorMessages.explain(e, cli.serverUrl(null)));
          commandLine.getErr().flush();
          return e instanceof UsageProblem ? USAGE : CLI_FAILURE;
        });
    return cl;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The server: --url, else the saved claim's, else the environment's, else the default. */
  String serverUrl(String savedUrl) {
    if (url != null && !url.isBlank()) return url;
    if (savedUrl != null && !savedUrl.isBlank()) return savedUrl;
    String fromEnv = env.get("AGENT_SANDBOX_URL");
    return fromEnv != null && !fromEnv.isBlank() ? fromEnv : DEFAULT_URL;
  }

  /** A client of the server (see {@link #serverUrl}) with the API token. */
  AgentSandboxClient client(String savedUrl) {
    String t = token != null ? token : env.get("AGENT_SANDBOX_TOKEN");
    return AgentSandboxClient.builder().baseUrl(serverUrl(savedUrl)).token(t).build();
  }

  /** Handles on claims named on the command line. */
  ClaimAttacher claims() {
    return new ClaimAttacher(this::client, store);
  }
}
