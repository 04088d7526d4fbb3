package io.agentsandbox.k8s.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentsandbox.core.model.ExecRequest;
import io.agentsandbox.core.model.ExecResult;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxRef;
import io.agentsandbox.core.port.SandboxExecutor.ExecException;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pods/exec executor against {@link FakeExecApiServer}: the wrapper really runs (host {@code
 * /bin/sh}, and busybox when installed), so stdin, env, workdir, exit codes, output caps and the
 * timeout are checked end to end over the exec websocket; error statuses of the API map to GONE
 * (409) or RUNTIME_ERROR (502), never an unclassified failure (500).
 */
class PodExecExecutorTest {

  static final String NS = "team-a";

  @TempDir Path dir;

  FakeExecApiServer api;
  KubernetesClient client;
  PodExecExecutor executor;

  @BeforeEach
  void start() {
    api = new FakeExecApiServer();
    client = api.client();
    executor = new PodExecExecutor(client, new PodExecExecutor.Options(1_024, 4, 2));
    api.pods.put("sb-1", FakeExecApiServer.runningPod(NS, "sb-1", "main", "sidecar"));
  }

  @AfterEach
  void stop() {
    executor.close();
    client.close();
    api.close();
  }

  static SandboxRef ref(String name) {
    return new SandboxRef(
        name, new PoolKey(NS, "pool"), RuntimeClass.DEFAULT, List.of(), "kubernetes");
  }

  ExecRequest request(List<String> command, String stdin, Map<String, String> env, long timeoutMs) {
    return new ExecRequest(
        command,
        stdin == null ? null : stdin.getBytes(StandardCharsets.UTF_8),
        env,
        dir.toString(),
        timeoutMs);
  }

  ExecResult run(String pod, ExecRequest request) throws Exception {
    return executor.exec(ref(pod), request).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  static String out(ExecResult r) {
    return new String(r.stdout(), StandardCharsets.UTF_8);
  }

  static String err(ExecResult r) {
    return new String(r.stderr(), StandardCharsets.UTF_8);
  }

  ExecException failure(String pod, ExecRequest request) {
    CompletableFuture<ExecResult> f = executor.exec(ref(pod), request).toCompletableFuture();
    assertThatThrownBy(() -> f.get(30, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(ExecException.class);
    return (ExecException) f.handle((r, t) -> t).join();
  }

  @Test
  void runsTheCommandInTheFirstContainerWithItsOutputAndExitCode() throws Exception {
    ExecResult r =
        run(
            "sb-1",
            request(List.of("sh", "-c", "echo out; echo err >&2; exit 3"), null, null, 10_000));

    assertThat(r.exitCode()).isEqualTo(3);
    assertThat(out(r)).isEqualTo("out\n");
    assertThat(err(r)).isEqualTo("err\n");
    assertThat(r.timedOut()).isFalse();
    assertThat(api.execQueries)
        .singleElement()
        .asString()
        .contains("container=main")
        .contains("stdout=true")
        .contains("stderr=true")
        .doesNotContain("stdin=true");
    assertThat(api.podGets.get()).as("one pod GET per exec").isEqualTo(1);
    assertThat(executor.inFlight()).isZero();
  }

  @Test
  void honoursTheDefaultContainerAnnotation() throws Exception {
    api.pods.put(
        "sb-2",
        FakeExecApiServer.runningPod(NS, "sb-2", "main", "sidecar")
            .replace(
                "\"namespace\":\"" + NS + "\"}",
                "\"namespace\":\""
                    + NS
                    + "\",\"annotations\":{\"kubectl.kubernetes.io/default-container\":\"sidecar\"}}"));

    assertThat(run("sb-2", request(List.of("true"), null, null, 10_000)).exitCode()).isZero();
    assertThat(api.execQueries).singleElement().asString().contains("container=sidecar");
  }

  @Test
  void feedsStdinAndTheCommandSeesEndOfFile() throws Exception {
    ExecResult r =
        run(
            "sb-1",
            request(List.of("sh", "-c", "cat; echo; echo done"), "line 1\nline 2", null, 10_000));

    assertThat(r.exitCode()).isZero();
    assertThat(out(r)).isEqualTo("line 1\nline 2\ndone\n");
    assertThat(api.execQueries).singleElement().asString().contains("stdin=true");
  }

  @Test
  void feedsALargeStdinInFull() throws Exception {
    String big = "a".repeat(3 << 20);
    ExecResult r = run("sb-1", request(List.of("wc", "-c"), big, null, 20_000));

    assertThat(r.exitCode()).isZero();
    assertThat(out(r).trim()).isEqualTo(Integer.toString(3 << 20));
  }

  @Test
  void setsEnvAndWorkingDirectory() throws Exception {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("GREETING", "hello world");
    env.put("QUOTED", "it's \"$HOME\"");
    ExecResult r =
        run(
            "sb-1",
            request(
                List.of("sh", "-c", "pwd; echo \"$GREETING\"; echo \"$QUOTED\""),
                null,
                env,
                10_000));

    assertThat(out(r)).isEqualTo(dir.toRealPath() + "\nhello world\nit's \"$HOME\"\n");
  }

  @Test
  void aMissingWorkingDirectoryIsExit125LikeTheLocalBackend() throws Exception {
    ExecResult r =
        run(
            "sb-1",
            new ExecRequest(List.of("true"), null, null, dir.resolve("nope").toString(), 10_000));

    assertThat(r.exitCode()).isEqualTo(125);
    assertThat(err(r)).contains("cannot enter the working directory");
  }

  @Test
  void anUnknownProgramIsExit127NotAnError() throws Exception {
    ExecResult r = run("sb-1", request(List.of("no-such-program-xyz"), null, null, 10_000));

    assertThat(r.exitCode()).isEqualTo(127);
  }

  @Test
  void capsOutputPerStreamAndSaysSo() throws Exception {
    ExecResult r =
        run(
            "sb-1",
            request(
                List.of(
                    "sh", "-c", "i=0; while [ $i -lt 300 ]; do echo 0123456789; i=$((i+1)); done"),
                null,
                null,
                10_000));

    assertThat(r.exitCode()).isZero();
    assertThat(r.stdout()).hasSize(1_024);
    assertThat(r.stdoutTruncated()).isTrue();
    assertThat(r.stderrTruncated()).isFalse();
  }

  @Test
  void streamsOutputChunksBeforeTheResult() throws Exception {
    List<String> chunks = new ArrayList<>();
    ExecResult r =
        executor
            .execStreaming(
                ref("sb-1"),
                request(List.of("sh", "-c", "echo a; echo b >&2"), null, null, 10_000),
                (stderr, chunk) -> {
                  synchronized (chunks) {
                    chunks.add(
                        (stderr ? "err:" : "out:") + new String(chunk, StandardCharsets.UTF_8));
                  }
                })
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);

    assertThat(r.exitCode()).isZero();
    synchronized (chunks) {
      assertThat(String.join("", chunks)).contains("out:a\n").contains("err:b\n");
    }
  }

  @Test
  void killsACommandPastItsTimeoutAndReportsIt() throws Exception {
    ExecResult r = run("sb-1", request(List.of("sleep", "60"), null, null, 1_000));

    assertThat(r.timedOut()).isTrue();
    assertThat(r.exitCode()).isEqualTo(137);
    // the in-container reaper (`timeout -s KILL`) ends the process too: the stream's close does not
    Process p = api.processes.get(0);
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("reaped in the container").isTrue();
    assertThat(executor.inFlight()).isZero();
  }

  @Test
  void aMissingPodIsGone() {
    ExecException e = failure("no-such-pod", request(List.of("true"), null, null, 10_000));

    assertThat(e.kind()).isEqualTo(ExecException.Kind.GONE);
    assertThat(e.getMessage()).contains(NS + "/no-such-pod").contains("does not exist");
    assertThat(api.execQueries).isEmpty();
  }

  @Test
  void aPodThatIsNotRunningIsGone() {
    api.pods.put(
        "sb-p", FakeExecApiServer.runningPod(NS, "sb-p", "main").replace("Running", "Pending"));

    ExecException e = failure("sb-p", request(List.of("true"), null, null, 10_000));

    assertThat(e.kind()).isEqualTo(ExecException.Kind.GONE);
    assertThat(e.getMessage()).contains("Pending");
  }

  @Test
  void anApiServerErrorIsARuntimeErrorNotAnInternalOne() {
    api.podGetStatus.put("sb-1", 500);

    ExecException e = failure("sb-1", request(List.of("true"), null, null, 10_000));

    assertThat(e.kind()).isEqualTo(ExecException.Kind.RUNTIME_ERROR);
    assertThat(e.getMessage()).contains("500");
  }

  @Test
  void aForbiddenExecSaysWhichPermissionIsMissing() {
    api.execStatus.put("sb-1", 403);

    ExecException e = failure("sb-1", request(List.of("true"), null, null, 10_000));

    assertThat(e.kind()).isEqualTo(ExecException.Kind.RUNTIME_ERROR);
    assertThat(e.getMessage()).contains("403").contains("pods/exec");
  }

  @Test
  void aPodDeletedBetweenReadAndExecIsGone() {
    api.execStatus.put("sb-1", 404);

    ExecException e = failure("sb-1", request(List.of("true"), null, null, 10_000));

    assertThat(e.kind()).isEqualTo(ExecException.Kind.GONE);
  }

  @Test
  void aRuntimeThatCannotStartTheCommandIsARuntimeError() {
    api.execStatusMessage.put(
        "sb-1",
        "{\"metadata\":{},\"status\":\"Failure\",\"reason\":\"InternalError\","
            + "\"message\":\"OCI runtime exec failed: exec: \\\"/bin/sh\\\": stat /bin/sh: no such file or directory\"}");

    ExecException e = failure("sb-1", request(List.of("true"), null, null, 10_000));

    assertThat(e.kind()).isEqualTo(ExecException.Kind.RUNTIME_ERROR);
    assertThat(e.getMessage()).contains("stat /bin/sh").contains("needs /bin/sh");
  }

  @Test
  void aPodDeletedWhileTheCommandRunsIsGone() {
    api.closeWithoutStatus.add("sb-1");
    api.deleteOnExec.add("sb-1");

    ExecException e = failure("sb-1", request(List.of("true"), null, null, 10_000));

    assertThat(e.kind()).isEqualTo(ExecException.Kind.GONE);
    assertThat(e.getMessage()).contains("stopped while the command ran");
  }

  @Test
  void aStreamLostWhileThePodStillRunsIsARuntimeError() {
    api.closeWithoutStatus.add("sb-1");

    ExecException e = failure("sb-1", request(List.of("true"), null, null, 10_000));

    assertThat(e.kind()).isEqualTo(ExecException.Kind.RUNTIME_ERROR);
    assertThat(e.getMessage()).contains("without an exit status").contains("still runs");
  }

  @Test
  void closeAnswersExecsStillRunning() throws Exception {
    CompletableFuture<ExecResult> f =
        executor
            .exec(ref("sb-1"), request(List.of("sleep", "30"), null, null, 60_000))
            .toCompletableFuture();
    assertThat(api.firstProcessStarted.await(20, TimeUnit.SECONDS)).as("exec started").isTrue();

    executor.close();

    assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(ExecException.class)
        .hasMessageContaining("shutting down");
    assertThat(executor.inFlight()).isZero();
  }

  @Test
  void moreExecsThanSlotsAreBusy() throws Exception {
    List<CompletableFuture<ExecResult>> running = new ArrayList<>();
    for (int i = 0; i < 4; i++)
      running.add(
          executor
              .exec(ref("sb-1"), request(List.of("sleep", "30"), null, null, 2_000))
              .toCompletableFuture());

    ExecException e = failure("sb-1", request(List.of("true"), null, null, 10_000));

    assertThat(e.kind()).isEqualTo(ExecException.Kind.BUSY);
    for (CompletableFuture<ExecResult> f : running)
      assertThat(f.get(30, TimeUnit.SECONDS).timedOut()).isTrue();
    assertThat(run("sb-1", request(List.of("true"), null, null, 10_000)).exitCode()).isZero();
  }

  @Test
  void theWrapperAlsoRunsUnderBusybox() throws Exception {
    Path busybox = Path.of("/bin/busybox");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isExecutable(busybox), "busybox not installed");
    Path bin = applets(busybox);
    api.argvRewrite =
        argv -> {
          List<String> a = new ArrayList<>(argv);
          a.set(0, bin.resolve("sh").toString());
          return a;
        };
    api.processEnv = Map.of("PATH", bin.toString());

    ExecResult r =
        run(
            "sb-1",
            request(List.of("sh", "-c", "cat; echo \"$X\"; pwd"), "in", Map.of("X", "y"), 10_000));
    assertThat(out(r)).isEqualTo("iny\n" + dir.toRealPath() + "\n");

    ExecResult slow = run("sb-1", request(List.of("sleep", "60"), null, null, 500));
    assertThat(slow.timedOut()).isTrue();
    assertThat(api.processes.get(1).waitFor(20, TimeUnit.SECONDS))
        .as("busybox timeout reaps it")
        .isTrue();
  }

  private Path applets(Path busybox) throws IOException {
    Path bin = Files.createDirectories(dir.resolve("bb-bin"));
    for (String applet : List.of("sh", "cat", "head", "timeout", "sleep", "pwd", "mkdir", "echo")) {
      Files.createSymbolicLink(bin.resolve(applet), busybox);
    }
    return bin;
  }

  @Test
  void theArgvIsTheWrapperThenTheCommand() {
    ExecRequest r =
        new ExecRequest(
            List.of("python3", "-c", "print(1)"),
            "ab".getBytes(StandardCharsets.UTF_8),
            Map.of("A", "1"),
            null,
            2_500);

    assertThat(ExecCommand.command(r))
        .containsExactly(
            "/bin/sh",
            "-c",
            ExecCommand.WRAPPER,
            "sh",
            "/workspace",
            "4",
            "2",
            "1",
            "A=1",
            "python3",
            "-c",
            "print(1)");
  }
}
