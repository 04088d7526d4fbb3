package io.agentsandbox.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentsandbox.scheduler.Main;
import io.agentsandbox.scheduler.SchedulerServer;
import io.agentsandbox.scheduler.TestPools;
import io.agentsandbox.scheduler.backend.local.LocalProvisioner;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The client and the CLI against a real server on the local backend with REAL gVisor and bubblewrap
 * sandboxes: claim → exec (whole and streamed) → files both ways → release, the README example, the
 * CLI's claim/cp/exec/release and run, and a sandbox killed under a claim giving a clear error.
 * Needs runsc and bwrap (scripts/install-runtimes.sh) and root for gVisor. Run under the heavy
 * lock: {@code flock /tmp/heavy.lock mvn ... verify -Dit.test=ClientLocalBackendIT}.
 */
class ClientLocalBackendIT {

  static final String GVISOR = "py-gvisor";
  static final String BWRAP = "sh-bwrap";

  @TempDir static Path tmp;
  static SchedulerServer server;
  static String url;
  static AgentSandboxClient client;

  @BeforeAll
  static void start() throws Exception {
    Path pools = Files.createDirectories(tmp.resolve("pools"));
    Files.writeString(
        pools.resolve("pools.yaml"),
        TestPools.template(GVISOR, "gvisor")
            + TestPools.pool(GVISOR, GVISOR, 2, null)
            + TestPools.template(BWRAP, null)
            + TestPools.pool(BWRAP, BWRAP, 2, null));
    // bwrap sandboxes run as uid 65534, which must be able to walk down to their workspaces.
    Files.setPosixFilePermissions(
        tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
    server =
        TestPools.await(
            SchedulerServer.start(
                Main.parseConfig(
                    "--port", "0",
                    "--backend", "local",
                    "--pools-dir", pools.toString(),
                    "--shards", "1",
                    "--http-instances", "1"),
                Main.parseLocalConfig("--state-dir", tmp.resolve("state").toString())));
    url = "http://127.0.0.1:" + server.port();
    client = AgentSandboxClient.builder().baseUrl(url).build();
    awaitReady(GVISOR, 2);
    awaitReady(BWRAP, 2);
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      LocalProvisioner local = (LocalProvisioner) server.provisioner();
      server.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      assertThat(local.sandboxCount()).isZero();
    }
  }

  static void awaitReady(String pool, int n) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      for (PoolInfo p : client.pools()) if (p.name().equals(pool) && p.ready() >= n) return;
      if (System.nanoTime() > deadline) throw new AssertionError("pool " + pool + " not ready");
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
  }

  @Test
  void shouldClaimExecCopyAndReleaseWithClient() {
    String id;
    try (SandboxHandle sandbox =
        client.claim(GVISOR, ClaimOptions.defaults().withWait(Duration.ofSeconds(30)))) {
      id = sandbox.claimId();
      assertThat(sandbox.claim().sandbox().backend()).isEqualTo("local");
      ExecResult r = sandbox.exec("python3", "-c", "print(1+1)");
      assertThat(r.exitCode()).isZero();
      assertThat(r.stdout()).isEqualTo("2\n");
      assertThat(sandbox.exec("sh", "-c", "exit 3").exitCode()).isEqualTo(3);
      ExecResult in =
          sandbox.exec(
              ExecSpec.of("sh", "-c", "cat; echo \" $X\" >&2")
                  .withStdin("piped")
                  .withEnv("X", "env-ok"));
      assertThat(in.stdout()).isEqualTo("piped");
      assertThat(in.stderr()).isEqualTo(" env-ok\n");

      List<OutputChunk> chunks = new ArrayList<>();
      ExecResult streamed =
          sandbox.execStream(
              ExecSpec.of("sh", "-c", "echo out; echo err >&2; exit 4"), chunks::add);
      assertThat(streamed.exitCode()).isEqualTo(4);
      assertThat(
              String.join(
                  "", chunks.stream().filter(c -> !c.isStderr()).map(OutputChunk::data).toList()))
          .isEqualTo("out\n");
      assertThat(
              String.join(
                  "",
                  chunks.stream().filter(OutputChunk::isStderr).map(OutputChunk::data).toList()))
          .isEqualTo("err\n");

      byte[] binary = new byte[70_000];
      for (int i = 0; i < binary.length; i++) binary[i] = (byte) (i * 31);
      sandbox.writeFile("dir/with space/data.bin", binary);
      assertThat(sandbox.readFile("dir/with space/data.bin")).isEqualTo(binary);
      assertThat(sandbox.exec("sh", "-c", "wc -c < 'dir/with space/data.bin'").stdout().strip())
          .isEqualTo("70000");
      sandbox.deleteFile("dir");
      assertThatThrownBy(() -> sandbox.readFile("dir/with space/data.bin"))
          .isInstanceOfSatisfying(
              NotFoundException.class, e -> assertThat(e.field()).isEqualTo("path"));
      assertThatThrownBy(() -> sandbox.readFile("../etc/passwd"))
          .isInstanceOf(BadRequestException.class);
    }
    assertThatThrownBy(() -> client.getClaim(id)).isInstanceOf(NotFoundException.class);
  }

  @Test
  void shouldRunReadmeExample() {
    assertThat(ClientExample.run(url, GVISOR)).isEqualTo("HELLO\n1\n2\n3\n");
  }

  @Test
  void shouldGiveClearErrorWhenSandboxIsKilled() {
    try (SandboxHandle sandbox =
        client.claim(BWRAP, ClaimOptions.defaults().withWait(Duration.ofSeconds(30)))) {
      assertThat(sandbox.exec("true").exitCode()).isZero();
      List<ProcessHandle> killed =
          ProcessHandle.allProcesses()
              .filter(
                  p ->
                      p.info()
                          .commandLine()
                          .map(c -> c.contains(sandbox.sandboxName()))
                          .orElse(false))
              .toList();
      assertThat(killed).as("host processes of %s", sandbox.sandboxName()).isNotEmpty();
      killed.forEach(ProcessHandle::destroyForcibly);
      // the server notices the death asynchronously: bounded wait for the error
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      SandboxGoneException error = null;
      while (error == null) {
        try {
          sandbox.exec("true");
        } catch (SandboxGoneException e) { // 410 sandbox_gone: the claim stays readable as Failed
          error = e;
        } catch (ServerErrorException e) {
          // before the server has noticed the death, the dying agent may reset the connection:
          // 502 runtime_error, then 410 once it has
          assertThat(e.status()).as(e.getMessage()).isEqualTo(502);
        }
        if (error == null && System.nanoTime() > deadline)
          throw new AssertionError("exec still works 30 s after the sandbox was killed");
        if (error == null) LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
      }
      assertThat(error.getMessage()).isNotBlank();
      long readDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      ClaimInfo failed = client.getClaim(sandbox.claimId());
      while (!failed.isFailed() && System.nanoTime() < readDeadline) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        failed = client.getClaim(sandbox.claimId());
      }
      assertThat(failed.status()).isEqualTo("Failed");
      assertThat(failed.failure().reason()).isNotBlank();
      assertThat(failed.failure().at()).isNotNull();
      System.out.println(
          "killed sandbox: " + error.getClass().getSimpleName() + ": " + error.getMessage());
      CliResult cli =
          cli(
              "exec",
              "--url",
              url,
              "--claim-token",
              sandbox.claimToken(),
              sandbox.claimId(),
              "--",
              "true");
      assertThat(cli.exitCode()).isEqualTo(125);
      assertThat(cli.err()).contains("the sandbox is gone").contains("claim another");
    }
  }

  @Test
  void shouldClaimCopyExecReleaseAndRunWithCli() throws Exception {
    CliResult claimed = cli("claim", "--pool", GVISOR, "--wait", "30s", "-o", "id");
    assertThat(claimed.exitCode()).as("%s", claimed).isZero();
    String id = claimed.out().strip();
    Path local = Files.writeString(tmp.resolve("script.py"), "print(sum(range(10)))\n");
    CliResult up = cli("cp", local.toString(), id + ":work/script.py");
    assertThat(up.exitCode()).as("%s", up).isZero();
    CliResult exec =
        cli("exec", id, "--", "sh", "-c", "python3 work/script.py | tee work/out.txt; exit 5");
    assertThat(exec.exitCode()).as("%s", exec).isEqualTo(5);
    assertThat(exec.out()).isEqualTo("45\n");
    Path down = tmp.resolve("out.txt");
    CliResult get = cli("cp", id + ":work/out.txt", down.toString());
    assertThat(get.exitCode()).as("%s", get).isZero();
    assertThat(down).hasContent("45\n");
    CliResult released = cli("release", id);
    assertThat(released.exitCode()).as("%s", released).isZero();
    assertThatThrownBy(() -> client.getClaim(id)).isInstanceOf(NotFoundException.class);

    CliResult run =
        cli("run", "--pool", GVISOR, "--wait", "30s", "--", "python3", "-c", "print(1+1)");
    assertThat(run.exitCode()).as("%s", run).isZero();
    assertThat(run.out()).isEqualTo("2\n");
  }

  record CliResult(int exitCode, String out, String err) {}

  CliResult cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    io.agentsandbox.cli.AgentSandboxCli cli =
        new io.agentsandbox.cli.AgentSandboxCli(
            Map.of(
                "AGENT_SANDBOX_URL",
                url,
                "AGENT_SANDBOX_CLAIMS_DIR",
                tmp.resolve("claims").toString()),
            new ByteArrayInputStream(new byte[0]));
    CommandLine cl = io.agentsandbox.cli.AgentSandboxCli.commandLine(cli);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new CliResult(code, out.toString(), err.toString());
  }
}
