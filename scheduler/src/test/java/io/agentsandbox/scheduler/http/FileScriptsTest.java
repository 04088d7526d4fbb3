package io.agentsandbox.scheduler.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.FileScripts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The files routes' scripts ({@link FileScripts#READ} and friends) run by the host's {@code
 * /bin/sh} with GNU coreutils (the local backend's sandboxes) and by busybox (the images of the
 * Kubernetes e2e suite), against a temp dir standing in for {@code /workspace}: the same exit codes
 * (3 escapes, 4 missing, 5 directory) under both.
 */
class FileScriptsTest {

  @TempDir static Path tmp;

  static Stream<Arguments> shells() {
    return Stream.of(Arguments.of("coreutils"), Arguments.of("busybox"));
  }

  private Path ws;
  private Path outside;
  private List<String> shell;
  private Map<String, String> env;

  private void setUp(String kind) throws IOException {
    Path root = Files.createTempDirectory(tmp, kind);
    ws = Files.createDirectories(root.resolve("workspace")).toRealPath();
    outside = Files.createDirectories(root.resolve("outside")).toRealPath();
    Files.writeString(outside.resolve("secret"), "s3cret");
    if (kind.equals("busybox")) {
      Path busybox = Path.of("/bin/busybox");
      Assumptions.assumeTrue(Files.isExecutable(busybox), "busybox not installed");
      Path bin = Files.createDirectories(root.resolve("bb-bin"));
      for (String a : List.of("sh", "cat", "dirname", "basename", "mkdir", "rm", "readlink"))
        Files.createSymbolicLink(bin.resolve(a), busybox);
      shell = List.of(bin.resolve("sh").toString());
      env = Map.of("PATH", bin.toString());
    } else {
      shell = List.of("/bin/sh");
      env = Map.of("PATH", "/usr/bin:/bin");
    }
  }

  private record Run(int code, String out) {}

  private Run run(String script, String rel, String stdin) throws Exception {
    List<String> argv = new ArrayList<>(shell);
    argv.addAll(List.of("-c", script.replace("/workspace", ws.toString()), "sh", ws + "/" + rel));
    ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
    pb.environment().clear();
    pb.environment().putAll(env);
    Process p = pb.start();
    try (var in = p.getOutputStream()) {
      if (stdin != null) in.write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out);
  }

  @ParameterizedTest
  @MethodSource("shells")
  void readWriteDeleteInsideTheWorkspace(String kind) throws Exception {
    setUp(kind);
    assertThat(run(FileScripts.WRITE, "a/b/c.txt", "hello").code()).isZero();
    assertThat(Files.readString(ws.resolve("a/b/c.txt"))).isEqualTo("hello");
    assertThat(run(FileScripts.READ, "a/b/c.txt", null)).isEqualTo(new Run(0, "hello"));
    assertThat(run(FileScripts.READ, "a/b", null).code()).isEqualTo(5);
    assertThat(run(FileScripts.READ, "nope.txt", null).code()).isEqualTo(4);
    assertThat(run(FileScripts.WRITE, "a/b", "x").code()).isEqualTo(5);
    assertThat(run(FileScripts.DELETE, "a/b/c.txt", null).code()).isZero();
    assertThat(Files.exists(ws.resolve("a/b/c.txt"))).isFalse();
    assertThat(run(FileScripts.DELETE, "a/b/c.txt", null).code()).isEqualTo(4);
    assertThat(run(FileScripts.DELETE, "missing/dir/x", null).code()).isEqualTo(4);
  }

  @ParameterizedTest
  @MethodSource("shells")
  void symlinksOutOfTheWorkspaceAreRefused(String kind) throws Exception {
    setUp(kind);
    Files.createSymbolicLink(ws.resolve("leak"), outside.resolve("secret"));
    Files.createSymbolicLink(ws.resolve("out"), outside);

    assertThat(run(FileScripts.READ, "leak", null).code()).isEqualTo(3);
    assertThat(run(FileScripts.READ, "out/secret", null).code()).isEqualTo(3);
    assertThat(run(FileScripts.WRITE, "out/new", "x").code()).isEqualTo(3);
    assertThat(run(FileScripts.WRITE, "leak", "x").code()).isEqualTo(3);
    assertThat(run(FileScripts.DELETE, "out/secret", null).code()).isEqualTo(3);
    assertThat(Files.readString(outside.resolve("secret"))).isEqualTo("s3cret");
    assertThat(Files.exists(outside.resolve("new"))).isFalse();
    // deleting the link itself is fine: it lives in the workspace
    assertThat(run(FileScripts.DELETE, "leak", null).code()).isZero();
    assertThat(Files.exists(outside.resolve("secret"))).isTrue();
  }

  @Test
  void shouldRecogniseFileCommandsOnly() {
    for (FileScripts.Kind k : FileScripts.Kind.values()) {
      assertThat(
              FileScripts.parse(
                  new io.agentsandbox.core.model.ExecRequest(
                      FileScripts.command(k, "/workspace/a/b.txt"), null, null, null, 1_000)))
          .isEqualTo(new FileScripts.FileOp(k, "a/b.txt"));
    }
    assertThat(
            FileScripts.parse(
                new io.agentsandbox.core.model.ExecRequest(
                    java.util.List.of("/bin/sh", "-c", "cat \"$1\"", "sh", "/workspace/x"),
                    null,
                    null,
                    null,
                    1_000)))
        .isNull();
    assertThat(
            FileScripts.parse(
                new io.agentsandbox.core.model.ExecRequest(
                    FileScripts.command(FileScripts.Kind.READ, "/etc/passwd"),
                    null,
                    null,
                    null,
                    1_000)))
        .isNull();
  }
}
