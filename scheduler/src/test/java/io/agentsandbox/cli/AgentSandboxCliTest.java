package io.agentsandbox.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentsandbox.client.SimulatedServer;
import io.agentsandbox.client.StubServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI in process (picocli with captured out/err) against a real server on the simulated backend
 * (API tokens on, URL and token from the environment), and against a stub server for the streamed
 * exec and cp, which the simulated backend cannot run.
 */
class AgentSandboxCliTest {

  static final String API_TOKEN = "cli-api-token";
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  static SimulatedServer server;
  static Map<String, String> env;
  static Path claims;

  @BeforeAll
  static void start() throws Exception {
    server = SimulatedServer.start(dir, API_TOKEN);
    claims = dir.resolve("home/.cache/agent-sandbox/claims");
    env = new HashMap<>();
    env.put("AGENT_SANDBOX_URL", server.url);
    env.put("AGENT_SANDBOX_TOKEN", API_TOKEN);
    env.put("HOME", dir.resolve("home").toString());
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) server.close();
  }

  static CliRun cli(String... args) {
    return CliRun.run(env, "", args);
  }

  @Test
  void shouldListPoolsAsTableAndJson() throws Exception {
    CliRun table = cli("pools");
    assertThat(table.exitCode()).as("%s", table).isZero();
    assertThat(table.out().lines().findFirst().orElseThrow()).startsWith("POOL").contains("READY");
    assertThat(table.out())
        .contains(SimulatedServer.PY + " ")
        .contains("gvisor")
        .contains("SIMULATED");
    CliRun json = cli("pools", "-o", "json");
    assertThat(json.exitCode()).as("%s", json).isZero();
    JsonNode pools = JSON.readTree(json.out());
    assertThat(pools.isArray()).isTrue();
    assertThat(pools.findValuesAsText("name")).contains(SimulatedServer.PY, SimulatedServer.CAPPED);
  }

  @Test
  void shouldClaimSaveTokenPrivatelyAndRelease() throws Exception {
    CliRun claimed =
        cli("claim", "--pool", SimulatedServer.PY, "--wait", "5s", "--on-empty", "cold");
    assertThat(claimed.exitCode()).as("%s", claimed).isZero();
    JsonNode claim = JSON.readTree(claimed.out());
    String id = claim.path("claimId").asText();
    assertThat(claim.path("status").asText()).isEqualTo("Bound");
    assertThat(claim.path("token").asText()).isNotBlank();
    assertThat(claim.path("sandbox").path("name").asText()).isNotBlank();
    Path saved = claims.resolve(id + ".json");
    assertThat(claimed.err()).contains("SIMULATED").contains(saved.toString());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(saved)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(claims)))
        .isEqualTo("rwx------");
    JsonNode state = JSON.readTree(saved.toFile());
    assertThat(state.path("token").asText()).isEqualTo(claim.path("token").asText());
    assertThat(state.path("url").asText()).isEqualTo(server.url);

    // exec reaches the server with the saved token: the simulated backend answers 501
    CliRun exec = cli("exec", id, "--", "echo", "hi");
    assertThat(exec.exitCode()).as("%s", exec).isEqualTo(AgentSandboxCli.CLI_FAILURE);
    assertThat(exec.err()).contains("501 simulated_sandbox");

    CliRun released = cli("release", id);
    assertThat(released.exitCode()).as("%s", released).isZero();
    assertThat(released.err()).contains("released " + id);
    assertThat(saved).doesNotExist();
    CliRun again = cli("release", id);
    assertThat(again.exitCode()).isEqualTo(AgentSandboxCli.CLI_FAILURE);
    assertThat(again.err()).contains("already released");
  }

  @Test
  void shouldPrintIdAloneAndTable() {
    CliRun id = cli("claim", "-p", SimulatedServer.PY, "-o", "id");
    assertThat(id.exitCode()).as("%s", id).isZero();
    assertThat(id.out().strip()).matches("cl-[0-9]+-[a-z2-7]+");
    CliRun table = cli("claim", "-p", SimulatedServer.PY, "-o", "table");
    assertThat(table.exitCode()).as("%s", table).isZero();
    assertThat(table.out()).startsWith("CLAIM").contains("default/" + SimulatedServer.PY);
    String tableId = table.out().lines().skip(1).findFirst().orElseThrow().split(" ")[0];
    assertThat(cli("release", id.out().strip(), tableId).exitCode()).isZero();
  }

  @Test
  void shouldExplainServerErrorsWithExit125() {
    CliRun unknown = cli("claim", "--pool", "nope");
    assertThat(unknown.exitCode()).isEqualTo(125);
    assertThat(unknown.err()).contains("404 unknown_pool").contains("nope");
    CliRun empty = cli("run", "--pool", SimulatedServer.SLOW, "--wait", "50ms", "--", "true");
    assertThat(empty.exitCode()).isEqualTo(125);
    assertThat(empty.err()).contains("504 deadline_exceeded");
    Map<String, String> noToken = new HashMap<>(env);
    noToken.remove("AGENT_SANDBOX_TOKEN");
    CliRun unauthorized = CliRun.run(noToken, "", "pools");
    assertThat(unauthorized.exitCode()).isEqualTo(125);
    assertThat(unauthorized.err()).contains("401").contains("AGENT_SANDBOX_TOKEN");
    CliRun nowhere = cli("--url", "http://127.0.0.1:1", "pools");
    assertThat(nowhere.exitCode()).isEqualTo(125);
    assertThat(nowhere.err()).contains("cannot reach the server at http://127.0.0.1:1");
  }

  @Test
  void shouldRefuseUnknownClaimAndBadUsage() {
    CliRun unknown = cli("exec", "cl-0-unknown", "--", "true");
    assertThat(unknown.exitCode()).isEqualTo(2);
    assertThat(unknown.err()).contains("no saved claim cl-0-unknown").doesNotContain("Usage:");
    CliRun noCommand = cli("exec", "cl-0-unknown");
    assertThat(noCommand.exitCode()).isEqualTo(2);
    CliRun noPool = cli("claim");
    assertThat(noPool.exitCode()).isEqualTo(2);
    assertThat(noPool.err()).contains("--pool");
    CliRun badOnEmpty = cli("claim", "--pool", "p", "--on-empty", "later");
    assertThat(badOnEmpty.exitCode()).isEqualTo(2);
    CliRun badWait = cli("claim", "--pool", "p", "--wait", "soon");
    assertThat(badWait.exitCode()).isEqualTo(2);
    assertThat(badWait.err()).contains("not a duration");
    CliRun twoLocal = cli("cp", "a", "b");
    assertThat(twoLocal.exitCode()).isEqualTo(2);
  }

  @Test
  void shouldHelpOnEveryCommandAndGenerateCompletion() {
    for (String command : List.of("pools", "claim", "exec", "cp", "release", "run", "completion")) {
      CliRun help = cli(command, "--help");
      assertThat(help.exitCode()).as("%s --help: %s", command, help).isZero();
      assertThat(help.out()).as(command).contains("Usage: agent-sandbox " + command);
    }
    CliRun top = cli("--help");
    assertThat(top.out()).contains("run --pool python-gvisor").contains("AGENT_SANDBOX_URL");
    CliRun completion = cli("completion");
    assertThat(completion.exitCode()).isZero();
    assertThat(completion.out()).contains("complete -F").contains("agent-sandbox").contains("exec");
  }

  @Test
  void shouldStreamExecOutputAndExitWithCommandCode() throws Exception {
    try (StubServer stub = new StubServer()) {
      stub.ndjson(
          "{\"stream\":\"stdout\",\"data\":\"4\\n\"}",
          "{\"stream\":\"stderr\",\"data\":\"oops\\n\"}",
          "{\"exitCode\":7,\"stdoutTruncated\":false,\"stderrTruncated\":false,\"timedOut\":false,\"durationMs\":3.0}");
      CliRun exec =
          CliRun.run(
              env,
              "input text",
              "exec",
              "--url",
              stub.url(),
              "--claim-token",
              "ctok",
              "-i",
              "-e",
              "X=1",
              "--timeout",
              "2m",
              "cl-5-abc",
              "--",
              "python3",
              "-c",
              "print(2+2)");
      assertThat(exec.exitCode()).as("%s", exec).isEqualTo(7);
      assertThat(exec.out()).isEqualTo("4\n");
      assertThat(exec.err()).isEqualTo("oops\n");
      StubServer.Seen seen = stub.seen().get(0);
      assertThat(seen.uri()).isEqualTo("/v1/sandboxes/cl-5-abc/exec?stream=true");
      assertThat(seen.authorization()).isEqualTo("Bearer ctok");
      JsonNode body = JSON.readTree(seen.body());
      assertThat(body.path("command").toString()).isEqualTo("[\"python3\",\"-c\",\"print(2+2)\"]");
      assertThat(body.path("stdin").asText()).isEqualTo("input text");
      assertThat(body.path("env").path("X").asText()).isEqualTo("1");
      assertThat(body.path("timeoutMs").asLong()).isEqualTo(120_000);
    }
  }

  @Test
  void shouldCopyBothWaysWithSavedClaim() throws Exception {
    try (StubServer stub = new StubServer()) {
      // a claim saved as `claim` would, pointing at the stub
      new ClaimStore(claims)
          .save(new ClaimStore.Saved("cl-7-xyz", "sb-7", "tok7", stub.url(), "default/p", null));
      Path local = Files.writeString(dir.resolve("in.txt"), "hello");
      stub.json(201, "{\"path\":\"/workspace/data/in.txt\",\"size\":5}")
          .answer(200, Map.of("content-type", "application/octet-stream"), "result")
          .json(201, "{\"path\":\"/workspace/in.txt\",\"size\":5}");
      CliRun up = cli("cp", local.toString(), "cl-7-xyz:data/in.txt");
      assertThat(up.exitCode()).as("%s", up).isZero();
      Path outDir = Files.createDirectories(dir.resolve("out"));
      CliRun down = cli("cp", "cl-7-xyz:res/result.txt", outDir.toString());
      assertThat(down.exitCode()).as("%s", down).isZero();
      assertThat(outDir.resolve("result.txt")).hasContent("result");
      CliRun upToDir = cli("cp", local.toString(), "cl-7-xyz:");
      assertThat(upToDir.exitCode()).as("%s", upToDir).isZero();
      assertThat(stub.seen())
          .extracting(s -> s.method() + " " + s.uri() + " " + s.authorization() + " " + s.body())
          .containsExactly(
              "PUT /v1/sandboxes/sb-7/files/data/in.txt Bearer tok7 hello",
              "GET /v1/sandboxes/sb-7/files/res/result.txt Bearer tok7 ",
              "PUT /v1/sandboxes/sb-7/files/in.txt Bearer tok7 hello");
    }
  }
}
