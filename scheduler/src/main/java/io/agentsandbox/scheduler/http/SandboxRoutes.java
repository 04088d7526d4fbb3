package io.agentsandbox.scheduler.http;

import io.agentsandbox.core.model.ExecRequest;
import io.agentsandbox.core.model.ExecResult;
import io.agentsandbox.core.model.SandboxRef;
import io.agentsandbox.core.port.SandboxExecutor;
import io.agentsandbox.scheduler.logging.AuditLog;
import io.agentsandbox.scheduler.shard.ShardCommand;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Exec and files in a claimed sandbox: {@code POST /v1/sandboxes/{id}/exec} here, and {@code
 * GET|PUT|DELETE /v1/sandboxes/{id}/files/{path}} in {@link FileRoutes}. One instance per HTTP
 * verticle; used only on its event loop.
 *
 * <p>Each call: the bearer token names its claim (checked in constant time) → the claim's shard
 * says which sandbox is bound ({@link ShardCommand.FindClaimSandbox}, reply hop back here) → the
 * command runs on the backend's exec workers → the result hops back to this loop. Files are
 * commands too: a small script inside the sandbox resolves the path there, so a symlink planted in
 * the workspace cannot make the server touch a host file.
 */
final class SandboxRoutes {

  static final Set<String> EXEC_FIELDS = Set.of("command", "stdin", "env", "timeoutMs", "workdir");
  static final long DEFAULT_TIMEOUT_MS = 30_000;
  static final long MAX_TIMEOUT_MS = 3_600_000;
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private final ApiContext api;
  private final SandboxAccess access;
  private final FileRoutes files;

  SandboxRoutes(ApiContext api) {
    this.api = api;
    this.access = new SandboxAccess(api);
    this.files = new FileRoutes(api, access);
  }

  void register(Router router) {
    router
        .post("/v1/sandboxes/:id/exec")
        .handler(BodyHandler.create(false).setBodyLimit(api.config().maxBodyBytes()))
        .handler(this::exec);
    router.get("/v1/sandboxes/:id/files/*").handler(rc -> files.handle(rc, FileRoutes.Op.GET));
    router
        .put("/v1/sandboxes/:id/files/*")
        .handler(BodyHandler.create(false).setBodyLimit(api.maxFileBytes()))
        .handler(rc -> files.handle(rc, FileRoutes.Op.PUT));
    router
        .delete("/v1/sandboxes/:id/files/*")
        .handler(rc -> files.handle(rc, FileRoutes.Op.DELETE));
  }

  // ---------------------------------------------------------------- exec

  private void exec(RoutingContext rc) {
    String contentType = rc.request().getHeader("content-type");
    if (contentType != null && !HttpResponses.isJson(contentType)) {
      HttpErrors.write(
          rc.response(),
          415,
          "unsupported_media_type",
          "content-type",
          "must be application/json",
          0);
      return;
    }
    ExecRequest request;
    try {
      request = decodeExec(rc.body().buffer());
    } catch (BadRequestException e) {
      HttpErrors.badRequest(rc.response(), e);
      return;
    }
    String stream = rc.request().getParam("stream");
    if (stream != null && !stream.equals("true") && !stream.equals("false")) {
      HttpErrors.write(rc.response(), 400, "invalid_value", "stream", "must be true or false", 0);
      return;
    }
    if ("true".equals(stream)) {
      access.withSandbox(rc, (sandbox, ctx) -> runStreaming(rc, ctx, sandbox, request));
      return;
    }
    access.withSandbox(
        rc,
        (sandbox, ctx) ->
            access.run(
                rc,
                ctx,
                sandbox,
                request,
                (r, failure) ->
                    audit(
                        rc,
                        sandbox,
                        request,
                        r == null ? -1 : r.exitCode(),
                        r == null ? 0 : r.stdout().length + r.stderr().length,
                        r == null ? null : r.path(),
                        failure),
                r -> HttpResponses.json(rc.response(), 200, encodeResult(r))));
  }

  /** The audit line of one exec; {@code exitCode} -1 when it could not run ({@code failure}). */
  static void audit(
      RoutingContext rc,
      SandboxRef sandbox,
      ExecRequest request,
      int exitCode,
      long bytesOut,
      String execPath,
      Throwable failure) {
    AuditLog.exec(
        rc.request(),
        rc.get(SandboxAccess.CLAIM_ID),
        sandbox.name(),
        request.command().get(0),
        exitCode,
        request.stdin() == null ? 0 : request.stdin().length,
        bytesOut,
        execPath,
        failure == null ? null : String.valueOf(rootCause(failure).getMessage()));
  }

  private static Throwable rootCause(Throwable t) {
    return t instanceof java.util.concurrent.CompletionException && t.getCause() != null
        ? t.getCause()
        : t;
  }

  /**
   * {@code ?stream=true}: answers {@code 200} with chunked NDJSON, one {@code {"stream":
   * "stdout"|"stderr", "data": "..."}} line per chunk of output as it comes (UTF-8, a multi-byte
   * character split between chunks shows as U+FFFD), then a last line with the result without its
   * output ({@code exitCode}, {@code timedOut}, {@code durationMs}, truncation flags). Errors found
   * before the command starts are ordinary error responses; a failure after the first chunk ends
   * the stream with an {@code {"error": {...}}} line. Output chunks hop from the exec threads to
   * this loop in order; the last line comes after them.
   */
  private void runStreaming(
      RoutingContext rc, ContextInternal ctx, SandboxRef sandbox, ExecRequest request) {
    HttpServerResponse response = rc.response();
    long[] bytesOut = {0}; // this loop only
    SandboxExecutor.OutputListener listener =
        (stderr, chunk) ->
            ctx.runOnContext(
                v -> {
                  bytesOut[0] += chunk.length;
                  if (response.ended() || response.closed()) return;
                  startStream(response);
                  JsonObject line =
                      new JsonObject()
                          .put("stream", stderr ? "stderr" : "stdout")
                          .put("data", new String(chunk, StandardCharsets.UTF_8));
                  response.write(line.toBuffer().appendByte((byte) '\n'));
                });
    Future.fromCompletionStage(api.executor().execStreaming(sandbox, request, listener), ctx)
        .onComplete(
            ar -> {
              audit(
                  rc,
                  sandbox,
                  request,
                  ar.succeeded() ? ar.result().exitCode() : -1,
                  bytesOut[0],
                  ar.succeeded() ? ar.result().path() : null,
                  ar.cause());
              if (response.ended() || response.closed()) return;
              if (ar.succeeded()) {
                JsonObject last = encodeResult(ar.result());
                last.remove("stdout");
                last.remove("stderr");
                startStream(response);
                response.end(last.toBuffer().appendByte((byte) '\n'));
                return;
              }
              if (!response.headWritten()) {
                SandboxAccess.failExec(rc, ar.cause());
                return;
              }
              response.end(
                  new JsonObject()
                      .put(
                          "error",
                          new JsonObject()
                              .put("status", 500)
                              .put("code", "exec_failed")
                              .put("message", String.valueOf(ar.cause().getMessage())))
                      .toBuffer()
                      .appendByte((byte) '\n'));
            });
  }

  private static void startStream(HttpServerResponse response) {
    if (response.headWritten()) return;
    response.setStatusCode(200).setChunked(true).putHeader("content-type", "application/x-ndjson");
  }

  static ExecRequest decodeExec(Buffer body) {
    if (body == null || body.length() == 0)
      throw new BadRequestException("body", "required: a JSON object with a command array");
    Object value;
    try {
      value = body.toJsonValue();
    } catch (DecodeException e) {
      throw new BadRequestException("body", "not valid JSON");
    } catch (RuntimeException e) {
      throw new BadRequestException("body", "not valid JSON");
    }
    if (!(value instanceof JsonObject json))
      throw new BadRequestException("body", "must be a JSON object");
    for (String key : json.fieldNames()) {
      if (!EXEC_FIELDS.contains(key))
        throw new BadRequestException(
            key, "unknown field; allowed: command, env, stdin, timeoutMs, workdir");
    }
    if (!(json.getValue("command") instanceof JsonArray arr) || arr.isEmpty()) {
      throw new BadRequestException(
          "command",
          "required: a non-empty array of strings, e.g. [\"python3\", \"-c\", \"print(1)\"]");
    }
    List<String> command = new ArrayList<>();
    for (Object o : arr) {
      if (!(o instanceof String s) || s.indexOf('\0') >= 0)
        throw new BadRequestException("command", "must contain only strings without NUL");
      command.add(s);
    }
    if (command.get(0).isEmpty())
      throw new BadRequestException("command", "the program name must not be empty");
    byte[] stdin = null;
    Object in = json.getValue("stdin");
    if (in != null) {
      if (!(in instanceof String s)) throw new BadRequestException("stdin", "must be a string");
      stdin = s.getBytes(StandardCharsets.UTF_8);
    }
    Map<String, String> env = new LinkedHashMap<>();
    Object e = json.getValue("env");
    if (e != null) {
      if (!(e instanceof JsonObject envJson))
        throw new BadRequestException("env", "must be an object of string values");
      for (String k : envJson.fieldNames()) {
        if (!ENV_NAME.matcher(k).matches())
          throw new BadRequestException(
              "env",
              "variable name must match [A-Za-z_][A-Za-z0-9_]*: " + HttpResponses.truncate(k));
        if (!(envJson.getValue(k) instanceof String v) || v.indexOf('\0') >= 0)
          throw new BadRequestException("env", "value of " + k + " must be a string without NUL");
        env.put(k, v);
      }
    }
    long timeoutMs = DEFAULT_TIMEOUT_MS;
    Object t = json.getValue("timeoutMs");
    if (t != null) {
      if (!(t instanceof Integer || t instanceof Long)
          || ((Number) t).longValue() < 1
          || ((Number) t).longValue() > MAX_TIMEOUT_MS) {
        throw new BadRequestException(
            "timeoutMs", "must be an integer between 1 and " + MAX_TIMEOUT_MS);
      }
      timeoutMs = ((Number) t).longValue();
    }
    String workdir = null;
    Object w = json.getValue("workdir");
    if (w != null) {
      if (!(w instanceof String s)
          || !s.startsWith("/")
          || s.indexOf('\0') >= 0
          || s.length() > 4096) {
        throw new BadRequestException("workdir", "must be an absolute path inside the sandbox");
      }
      workdir = s;
    }
    return new ExecRequest(command, stdin, env, workdir, timeoutMs);
  }

  static JsonObject encodeResult(ExecResult r) {
    JsonObject json =
        new JsonObject()
            .put("exitCode", r.exitCode())
            .put("stdout", new String(r.stdout(), StandardCharsets.UTF_8))
            .put("stderr", new String(r.stderr(), StandardCharsets.UTF_8))
            .put("stdoutTruncated", r.stdoutTruncated())
            .put("stderrTruncated", r.stderrTruncated())
            .put("timedOut", r.timedOut())
            .put("oomKilled", r.oomKilled())
            .put("durationMs", r.durationNs() / 1_000_000.0);
    if (r.path() != null) json.put("execPath", r.path());
    return json;
  }
}
