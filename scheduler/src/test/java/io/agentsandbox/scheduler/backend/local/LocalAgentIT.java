package io.agentsandbox.scheduler.backend.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentsandbox.core.model.AgentEndpoint;
import io.agentsandbox.core.model.ExecRequest;
import io.agentsandbox.core.model.ExecResult;
import io.agentsandbox.core.model.FileScripts;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxBlueprint;
import io.agentsandbox.core.model.SandboxRef;
import io.agentsandbox.core.port.SandboxExecutor.ExecException;
import io.agentsandbox.scheduler.dataplane.AgentClient;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The in-sandbox agent as every local sandbox's init, against REAL runtimes (needs the built agent,
 * {@code agent/target/agent-sandbox-agent}): exec and files go through it with the API's semantics,
 * its secret is the server's only, a sandbox cannot reach another sandbox's agent, and sandboxes
 * without an agent fall back to the runtime's exec.
 */
class LocalAgentIT {

  private static final PoolKey POOL = new PoolKey("default", "agent");

  @TempDir Path tmp;

  private LocalProvisioner open(boolean agent) throws Exception {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    LocalBackendConfig c = LocalBackendConfig.defaults().withStateDir(tmp.resolve("state"));
    assertThat(c.agentBinary()).as("the agent is built (mvn -pl agent package)").isNotNull();
    return LocalProvisioner.open(agent ? c : c.withAgentBinary(null));
  }

  private static RuntimeClass rc(String runtimeClass) {
    return runtimeClass.equals("default") ? RuntimeClass.DEFAULT : RuntimeClass.of(runtimeClass);
  }

  private static SandboxRef start(LocalProvisioner p, String name, RuntimeClass rc)
      throws Exception {
    assertThat(p.unavailableReason(rc)).as("runtime usable here").isNull();
    LocalProvisionerIT.Events ev = new LocalProvisionerIT.Events();
    p.create(
        POOL,
        name,
        new SandboxBlueprint("t", rc, "", List.of(), List.of(), Map.of("GREETING", "hi"), 500, 0),
        ev);
    assertThat(ev.outcome.get(60, TimeUnit.SECONDS)).isEqualTo("ready");
    return new SandboxRef(name, POOL, rc, List.of(), "local");
  }

  private static ExecResult run(LocalProvisioner p, SandboxRef ref, ExecRequest r)
      throws Exception {
    return p.exec(ref, r).toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static ExecResult sh(LocalProvisioner p, SandboxRef ref, String script) throws Exception {
    return run(p, ref, new ExecRequest(List.of("/bin/sh", "-c", script), null, null, null, 10_000));
  }

  private static ExecResult file(
      LocalProvisioner p, SandboxRef ref, FileScripts.Kind kind, String rel, byte[] in)
      throws Exception {
    return run(
        p,
        ref,
        new ExecRequest(
            FileScripts.command(kind, ExecRequest.WORKSPACE + "/" + rel),
            in,
            null,
            ExecRequest.WORKSPACE,
            60_000));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"gvisor", "default"})
  void shouldServeExecAndFilesThroughTheAgent(String runtimeClass) throws Exception {
    LocalProvisioner p = open(true);
    try {
      SandboxRef ref = start(p, "sb-a", rc(runtimeClass));
      Path dir = p.stateDir().resolve("sandboxes").resolve(LocalProvisioner.idOf(POOL, "sb-a"));

      AgentEndpoint ep = p.agentLocator().locate(ref);
      assertThat(ep).isNotNull();
      assertThat(ep.unixSocket()).isEqualTo(AgentInit.socket(dir)).exists();
      assertThat(ep.secret()).hasSize(64);
      assertThat(Files.readString(dir.resolve(AgentInit.SECRET))).isEqualTo(ep.secret());
      assertThat(
              PosixFilePermissions.toString(
                  Files.getPosixFilePermissions(dir.resolve("agent.secret"))))
          .isEqualTo("rw-------");
      assertThat(AgentInit.runDir(dir).resolve(AgentInit.SECRET))
          .as("the agent's copy is gone once it answers")
          .doesNotExist();

      ExecResult echo = sh(p, ref, "echo $GREETING; echo err >&2; exit 3");
      assertThat(echo.path()).isEqualTo(ExecResult.VIA_AGENT);
      assertThat(echo.exitCode()).isEqualTo(3);
      assertThat(new String(echo.stdout(), StandardCharsets.UTF_8)).isEqualTo("hi\n");
      assertThat(new String(echo.stderr(), StandardCharsets.UTF_8)).isEqualTo("err\n");

      ExecResult secretHidden =
          sh(p, ref, "env | grep -c AGENT_SANDBOX_SECRET; cat /run/agent/agent.secret");
      assertThat(new String(secretHidden.stdout(), StandardCharsets.UTF_8).strip()).isEqualTo("0");
      assertThat(secretHidden.exitCode()).isNotZero();

      ExecResult stdin =
          run(
              p,
              ref,
              new ExecRequest(
                  List.of("cat"), "fed".getBytes(StandardCharsets.UTF_8), null, null, 10_000));
      assertThat(new String(stdin.stdout(), StandardCharsets.UTF_8)).isEqualTo("fed");

      ExecResult slow = run(p, ref, new ExecRequest(List.of("sleep", "30"), null, null, null, 500));
      assertThat(slow.timedOut()).isTrue();
      assertThat(slow.exitCode()).isEqualTo(137);

      ByteArrayOutputStream streamed = new ByteArrayOutputStream();
      ExecResult s =
          p.execStreaming(
                  ref,
                  new ExecRequest(
                      List.of("/bin/sh", "-c", "echo one; echo two"), null, null, null, 10_000),
                  (err, chunk) -> streamed.writeBytes(chunk))
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS);
      assertThat(s.exitCode()).isZero();
      assertThat(streamed.toString(StandardCharsets.UTF_8)).isEqualTo("one\ntwo\n");

      byte[] binary = new byte[70_000];
      for (int i = 0; i < binary.length; i++) binary[i] = (byte) (i * 31);
      ExecResult put = file(p, ref, FileScripts.Kind.WRITE, "d/e/bin.dat", binary);
      assertThat(put.exitCode()).as(new String(put.stderr())).isZero();
      assertThat(put.path()).isEqualTo(ExecResult.VIA_AGENT);
      ExecResult get = file(p, ref, FileScripts.Kind.READ, "d/e/bin.dat", null);
      assertThat(get.exitCode()).isZero();
      assertThat(get.stdout()).isEqualTo(binary);
      assertThat(file(p, ref, FileScripts.Kind.READ, "missing", null).exitCode())
          .isEqualTo(FileScripts.EXIT_NOT_FOUND);
      assertThat(file(p, ref, FileScripts.Kind.READ, "d", null).exitCode())
          .isEqualTo(FileScripts.EXIT_IS_DIRECTORY);
      assertThat(sh(p, ref, "ln -s /etc/passwd /workspace/out").exitCode()).isZero();
      assertThat(file(p, ref, FileScripts.Kind.READ, "out", null).exitCode())
          .isEqualTo(FileScripts.EXIT_ESCAPES);
      assertThat(file(p, ref, FileScripts.Kind.DELETE, "d", null).exitCode()).isZero();
      assertThat(dir.resolve("workspace").resolve("d")).doesNotExist();

      // Without the secret the agent refuses everything but its health check.
      AgentClient anonymous = new AgentClient(ep.unixSocket(), null, 1 << 20);
      assertThatThrownBy(
              () -> anonymous.exec(new ExecRequest(List.of("true"), null, null, null, 5_000), null))
          .isInstanceOf(ExecException.class)
          .hasMessageContaining("401");
    } finally {
      p.close();
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"gvisor", "default"})
  void shouldNotLetASandboxReachAnotherSandboxsAgent(String runtimeClass) throws Exception {
    LocalProvisioner p = open(true);
    try {
      SandboxRef a = start(p, "sb-a", rc(runtimeClass));
      SandboxRef b = start(p, "sb-b", rc(runtimeClass));
      Path bSocket = p.agentLocator().locate(b).unixSocket();
      Path sandboxes = bSocket.getParent().getParent().getParent();
      ExecResult r =
          sh(
              p,
              a,
              "test -e '"
                  + bSocket
                  + "' && echo SEEN; ls '"
                  + sandboxes
                  + "' 2>/dev/null | grep -c sb-b");
      String out = new String(r.stdout(), StandardCharsets.UTF_8);
      assertThat(out).doesNotContain("SEEN");
      assertThat(out.strip()).endsWith("0");
      assertThat(r.path()).isEqualTo(ExecResult.VIA_AGENT);
    } finally {
      p.close();
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"gvisor", "default"})
  void shouldFallBackToTheRuntimeWithoutAnAgent(String runtimeClass) throws Exception {
    LocalProvisioner p = open(false);
    try {
      SandboxRef ref = start(p, "sb-n", rc(runtimeClass));
      assertThat(p.agentLocator().locate(ref)).isNull();
      ExecResult r = sh(p, ref, "echo $GREETING");
      assertThat(r.path()).isEqualTo(ExecResult.VIA_RUNTIME);
      assertThat(new String(r.stdout(), StandardCharsets.UTF_8)).isEqualTo("hi\n");
      ExecResult put =
          file(p, ref, FileScripts.Kind.WRITE, "x.txt", "x".getBytes(StandardCharsets.UTF_8));
      assertThat(put.exitCode()).isZero();
      assertThat(put.path()).isEqualTo(ExecResult.VIA_RUNTIME);
    } finally {
      p.close();
    }
  }

  @Test
  void shouldNotLocateUnknownSandboxes() throws Exception {
    LocalProvisioner p = open(true);
    try {
      assertThat(
              p.agentLocator()
                  .locate(new SandboxRef("nope", POOL, RuntimeClass.DEFAULT, List.of(), "local")))
          .isNull();
      assertThatThrownBy(
              () ->
                  p.exec(
                          new SandboxRef("nope", POOL, RuntimeClass.DEFAULT, List.of(), "local"),
                          new ExecRequest(List.of("true"), null, null, null, 1_000))
                      .toCompletableFuture()
                      .get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class);
    } finally {
      p.close();
    }
  }
}
