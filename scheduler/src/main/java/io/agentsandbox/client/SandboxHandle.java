package io.agentsandbox.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A claimed sandbox: run commands in it, move files in and out of its {@code /workspace}, release
 * it. {@link #close()} releases it (idempotent), so use try-with-resources:
 *
 * <pre>{@code
 * try (SandboxHandle sandbox = client.claim("python-gvisor", ClaimOptions.defaults())) {
 *   sandbox.writeFile("in.txt", "hello".getBytes(UTF_8));
 *   ExecResult r = sandbox.exec("sh", "-c", "tr a-z A-Z < in.txt");
 *   sandbox.execStream(ExecSpec.of("python3", "-u", "train.py"),
 *       chunk -> (chunk.isStderr() ? System.err : System.out).print(chunk.data()));
 * }
 * }</pre>
 *
 * <p>The claim token, which alone authorises exec and files on this sandbox, stays in the handle;
 * {@link #claimToken()} exposes it only to persist a claim across processes (as the CLI does; see
 * {@link AgentSandboxClient#attach}). Calls after {@link #release()} throw {@link
 * IllegalStateException}. Exec and file calls may run concurrently. Thread-safe.
 *
 * <p>Errors of sandbox calls: {@link UnauthorizedException} (401 bad token, 403 another claim's
 * sandbox or a path out of {@code /workspace}), {@link NotFoundException} (the claim was released
 * or expired; a file does not exist), {@link SandboxGoneException} (the sandbox died), {@link
 * ConflictException} {@code claim_pending}, {@link BadRequestException} (an invalid command or
 * path), {@link OverloadedException} {@code exec_busy} (after retries), {@link
 * ServerErrorException} 501 on the simulated backend, 502 when the runtime failed.
 */
public final class SandboxHandle implements AutoCloseable {

  private final AgentSandboxClient client;
  private final ClaimInfo claim;
  private final String sandboxName;
  private final String token;
  private final AtomicBoolean released = new AtomicBoolean();
  private String claimId;

  SandboxHandle(AgentSandboxClient client, ClaimInfo claim, String sandboxName, String token) {
    this.client = client;
    this.claim = claim;
    this.sandboxName = sandboxName;
    this.token = token;
    this.claimId = claim == null ? null : claim.claimId();
  }

  SandboxHandle withClaimId(String id) {
    this.claimId = id;
    return this;
  }

  /** The claim's id. */
  public String claimId() {
    return claimId;
  }

  /** The sandbox's name (as exec and file routes address it). */
  public String sandboxName() {
    return sandboxName;
  }

  /**
   * The claim as the server answered it; null for a handle made by {@link
   * AgentSandboxClient#attach}.
   */
  public ClaimInfo claim() {
    return claim;
  }

  /**
   * The claim token. A secret: anyone holding it can run commands in this sandbox until it is
   * released. Only for persisting the claim (e.g. in a file only the user can read).
   */
  public String claimToken() {
    return token;
  }

  /** True once {@link #release()} or {@link #close()} was called. */
  public boolean isReleased() {
    return released.get();
  }

  // ---------------------------------------------------------------- exec

  /**
   * Runs a command and returns its exit code and whole output ({@code POST
   * /v1/sandboxes/{id}/exec}). A non-zero exit code is a result, not an exception.
   *
   * @param argv program and arguments (no shell: use {@code "sh", "-c", "..."} for one)
   */
  public ExecResult exec(String... argv) {
    return exec(ExecSpec.of(argv));
  }

  /** Runs a command described by {@code spec}; see {@link #exec(String...)}. */
  public ExecResult exec(ExecSpec spec) {
    return AgentSandboxClient.await(execAsync(spec));
  }

  /** Async {@link #exec(ExecSpec)}. */
  public CompletableFuture<ExecResult> execAsync(ExecSpec spec) {
    HttpRequest.Builder req = execRequest(spec, false);
    return client
        .exchange(req, HttpResponse.BodyHandlers.ofByteArray())
        .thenApply(r -> Wire.execResult(AgentSandboxClient.readJson(r.body())));
  }

  /**
   * Runs a command and hands its output to {@code consumer} as it comes ({@code ?stream=true},
   * NDJSON), on the calling thread, in order; returns when the command has ended. The result's
   * {@code stdout}/{@code stderr} are empty. An exception thrown by the consumer stops the reading
   * (the command goes on until it ends or times out) and is rethrown.
   *
   * @throws ServerErrorException when the exec failed after output began ({@code exec_failed})
   */
  public ExecResult execStream(ExecSpec spec, Consumer<OutputChunk> consumer) {
    Objects.requireNonNull(consumer, "consumer");
    AgentSandboxClient.Answer<Stream<String>> answer =
        AgentSandboxClient.await(
            client.exchange(execRequest(spec, true), HttpResponse.BodyHandlers.ofLines()));
    return readStream(answer.body(), consumer);
  }

  /** {@link #execStream(ExecSpec, Consumer)} of a plain command. */
  public ExecResult execStream(List<String> argv, Consumer<OutputChunk> consumer) {
    return execStream(ExecSpec.of(argv), consumer);
  }

  /**
   * Async {@link #execStream(ExecSpec, Consumer)}: the consumer is called on the client's stream
   * executor ({@link AgentSandboxClient.Builder#streamExecutor}), in order.
   */
  public CompletableFuture<ExecResult> execStreamAsync(
      ExecSpec spec, Consumer<OutputChunk> consumer) {
    Objects.requireNonNull(consumer, "consumer");
    return client
        .exchange(execRequest(spec, true), HttpResponse.BodyHandlers.ofLines())
        .thenApplyAsync(a -> readStream(a.body(), consumer), client.streamExecutor());
  }

  private ExecResult readStream(Stream<String> lines, Consumer<OutputChunk> consumer) {
    try (lines) {
      for (Iterator<String> it = lines.iterator(); it.hasNext(); ) {
        String line = it.next();
        if (line.isBlank()) continue;
        JsonNode node = AgentSandboxClient.readJson(line.getBytes(StandardCharsets.UTF_8));
        if (node.has("stream")) {
          OutputChunk.Stream s =
              "stderr".equals(node.path("stream").asText())
                  ? OutputChunk.Stream.STDERR
                  : OutputChunk.Stream.STDOUT;
          consumer.accept(new OutputChunk(s, node.path("data").asText("")));
        } else if (node.has("error")) {
          JsonNode e = node.get("error");
          throw Wire.error(
              e.path("status").asInt(500),
              e.path("code").asText("exec_failed"),
              e.hasNonNull("field") ? e.get("field").asText() : null,
              e.path("message").asText(""),
              null);
        } else {
          return Wire.execResult(node);
        }
      }
    } catch (UncheckedIOException e) {
      throw new TransportException("exec stream of " + sandboxName, e.getCause());
    }
    throw new TransportException(
        "exec stream of " + sandboxName,
        new IOException("the stream ended before the command's result"));
  }

  private HttpRequest.Builder execRequest(ExecSpec spec, boolean stream) {
    checkOpen();
    ObjectNode body = AgentSandboxClient.JSON.createObjectNode();
    ArrayNode command = body.putArray("command");
    spec.command().forEach(command::add);
    if (spec.stdin() != null) body.put("stdin", new String(spec.stdin(), StandardCharsets.UTF_8));
    if (!spec.env().isEmpty()) {
      ObjectNode env = body.putObject("env");
      for (Map.Entry<String, String> e : spec.env().entrySet()) env.put(e.getKey(), e.getValue());
    }
    if (spec.timeout() != null) body.put("timeoutMs", Math.max(1, spec.timeout().toMillis()));
    if (spec.workdir() != null) body.put("workdir", spec.workdir());
    String path =
        "/v1/sandboxes/"
            + AgentSandboxClient.segment(sandboxName)
            + "/exec"
            + (stream ? "?stream=true" : "");
    return client
        .sandboxRequest(path, token)
        .timeout(client.execTimeout(spec))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(AgentSandboxClient.bytes(body)));
  }

  // ---------------------------------------------------------------- files

  /**
   * Reads a file of the sandbox's {@code /workspace} ({@code GET .../files/{path}}).
   *
   * @param path relative to {@code /workspace} (a leading {@code /workspace/} is accepted too)
   * @throws NotFoundException no such file
   * @throws BadRequestException a directory, not a regular file, or an invalid path
   */
  public byte[] readFile(String path) {
    return AgentSandboxClient.await(readFileAsync(path));
  }

  /** Async {@link #readFile(String)}. */
  public CompletableFuture<byte[]> readFileAsync(String path) {
    return client
        .exchange(fileRequest(path).GET(), HttpResponse.BodyHandlers.ofByteArray())
        .thenApply(AgentSandboxClient.Answer::body);
  }

  /** {@link #readFile(String)} as UTF-8 text. */
  public String readString(String path) {
    return new String(readFile(path), StandardCharsets.UTF_8);
  }

  /**
   * Writes a file into the sandbox's {@code /workspace}, creating parent directories ({@code PUT
   * .../files/{path}}); replaces an existing file.
   *
   * @param path relative to {@code /workspace}
   */
  public void writeFile(String path, byte[] content) {
    AgentSandboxClient.await(writeFileAsync(path, content));
  }

  /** Async {@link #writeFile(String, byte[])}. */
  public CompletableFuture<Void> writeFileAsync(String path, byte[] content) {
    Objects.requireNonNull(content, "content");
    return client
        .exchange(
            fileRequest(path)
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(content)),
            HttpResponse.BodyHandlers.discarding())
        .thenApply(a -> null);
  }

  /** {@link #writeFile(String, byte[])} of UTF-8 text. */
  public void writeString(String path, String content) {
    writeFile(path, content.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Deletes a file or directory (recursively) under {@code /workspace} ({@code DELETE
   * .../files/{path}}).
   *
   * @throws NotFoundException no such file
   */
  public void deleteFile(String path) {
    AgentSandboxClient.await(deleteFileAsync(path));
  }

  /** Async {@link #deleteFile(String)}. */
  public CompletableFuture<Void> deleteFileAsync(String path) {
    return client
        .exchange(fileRequest(path).DELETE(), HttpResponse.BodyHandlers.discarding())
        .thenApply(a -> null);
  }

  private HttpRequest.Builder fileRequest(String path) {
    checkOpen();
    Objects.requireNonNull(path, "path");
    String rel = path;
    if (rel.startsWith("/workspace/")) rel = rel.substring("/workspace/".length());
    StringBuilder encoded = new StringBuilder();
    for (String segment : rel.split("/", -1)) {
      if (encoded.length() > 0) encoded.append('/');
      encoded.append(AgentSandboxClient.segment(segment));
    }
    return client.sandboxRequest(
        "/v1/sandboxes/" + AgentSandboxClient.segment(sandboxName) + "/files/" + encoded, token);
  }

  // ---------------------------------------------------------------- release

  /**
   * Releases the claim: the sandbox is deleted, never handed to another claim. Idempotent: only the
   * first call sends a request.
   *
   * @throws NotFoundException the claim was already gone (released elsewhere or expired)
   */
  public void release() {
    AgentSandboxClient.await(releaseAsync());
  }

  /** Async {@link #release()}; later calls complete at once. */
  public CompletableFuture<Void> releaseAsync() {
    if (!released.compareAndSet(false, true)) return CompletableFuture.completedFuture(null);
    // the claim's own tenant: it may differ from the client's (ClaimOptions.withTenant)
    return client.releaseAsync(claimId, claim == null ? null : claim.tenant());
  }

  /**
   * Releases the claim, as {@link #release()}, except that a claim already gone (404: released
   * elsewhere or expired) is not an error. Idempotent.
   */
  @Override
  public void close() {
    try {
      release();
    } catch (NotFoundException e) {
      // already released or expired: what close() wants
    }
  }

  private void checkOpen() {
    if (released.get()) throw new IllegalStateException("claim " + claimId + " was released");
  }

  @Override
  public String toString() {
    return "SandboxHandle[" + claimId + " " + sandboxName + (released.get() ? " released]" : "]");
  }
}
