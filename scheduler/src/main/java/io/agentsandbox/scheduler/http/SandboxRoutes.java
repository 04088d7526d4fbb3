package io.agentsandbox.scheduler.http;

import io.agentsandbox.core.model.ExecRequest;
import io.agentsandbox.core.model.ExecResult;
import io.agentsandbox.core.model.SandboxRef;
import io.agentsandbox.core.port.SandboxExecutor;
import io.agentsandbox.core.port.SandboxExecutor.ExecException;
import io.agentsandbox.scheduler.shard.ShardCommand;
import io.agentsandbox.scheduler.shard.ShardProxy;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.PromiseInternal;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

/**
 * Exec and files in a claimed sandbox: {@code POST /v1/sandboxes/{id}/exec} and {@code
 * GET|PUT|DELETE /v1/sandboxes/{id}/files/{path}}. One instance per HTTP verticle; used only on its
 * event loop.
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
  private static final long FILE_TIMEOUT_MS = 60_000;
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  // Scripts run by /bin/sh inside the sandbox; $1 is /workspace/<path>. Exit 3: escapes the
  // workspace, 4: not found, 5: is a directory, 6: not a regular file. POSIX sh plus cat, dirname,
  // basename, mkdir, rm and `readlink -f` (GNU coreutils or busybox: busybox's realpath has no -e,
  // so
  // `realpath -e X` is spelled `[ -e X ] && readlink -f -- X`, the same check).
  static final String READ_SCRIPT =
      "f=$([ -e \"$1\" ] && readlink -f -- \"$1\" 2>/dev/null) || exit 4; case \"$f\" in /workspace/*) ;; *) exit 3;; esac; "
          + "[ -d \"$f\" ] && exit 5; [ -f \"$f\" ] || exit 6; exec cat -- \"$f\"";
  static final String WRITE_SCRIPT =
      "d=$(dirname -- \"$1\"); mkdir -p -- \"$d\" 2>/dev/null; r=$([ -e \"$d\" ] && readlink -f -- \"$d\" 2>/dev/null) || exit 4; "
          + "case \"$r/\" in /workspace/*) ;; *) exit 3;; esac; t=\"$r/$(basename -- \"$1\")\"; [ -L \"$t\" ] && exit 3; [ -d \"$t\" ] && exit 5; "
          + "cat > \"$t\"";
  static final String DELETE_SCRIPT =
      "d=$(p=$(dirname -- \"$1\"); [ -e \"$p\" ] && readlink -f -- \"$p\" 2>/dev/null) || exit 4; case \"$d/\" in /workspace/*) ;; *) exit 3;; esac; "
          + "t=\"$d/$(basename -- \"$1\")\"; [ \"$t\" = /workspace ] && exit 3; { [ -e \"$t\" ] || [ -L \"$t\" ]; } || exit 4; rm -rf -- \"$t\"";

  private final ApiContext api;

  SandboxRoutes(ApiContext api) {
    this.api = api;
  }

  void register(Router router) {
    router
        .post("/v1/sandboxes/:id/exec")
        .handler(BodyHandler.create(false).setBodyLimit(api.config().maxBodyBytes()))
        .handler(this::exec);
    router.get("/v1/sandboxes/:id/files/*").handler(rc -> file(rc, Op.GET));
    router
        .put("/v1/sandboxes/:id/files/*")
        .handler(BodyHandler.create(false).setBodyLimit(api.maxFileBytes()))
        .handler(rc -> file(rc, Op.PUT));
    router.delete("/v1/sandboxes/:id/files/*").handler(rc -> file(rc, Op.DELETE));
  }

  private enum Op {
    GET,
    PUT,
    DELETE
  }

  // ---------------------------------------------------------------- exec

  private void exec(RoutingContext rc) {
    String contentType = rc.request().getHeader("content-type");
    if (contentType != null && !ClaimRoutes.isJson(contentType)) {
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
      withSandbox(rc, (sandbox, ctx) -> runStreaming(rc, ctx, sandbox, request));
      return;
    }
    withSandbox(
        rc,
        (sandbox, ctx) ->
            run(
                rc,
                ctx,
                sandbox,
                request,
                r -> ClaimRoutesJson.write(rc.response(), 200, encodeResult(r))));
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
    SandboxExecutor.OutputListener listener =
        (stderr, chunk) ->
            ctx.runOnContext(
                v -> {
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
                failExec(rc, ar.cause());
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
              "env", "variable name must match [A-Za-z_][A-Za-z0-9_]*: " + truncate(k));
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
    return new JsonObject()
        .put("exitCode", r.exitCode())
        .put("stdout", new String(r.stdout(), StandardCharsets.UTF_8))
        .put("stderr", new String(r.stderr(), StandardCharsets.UTF_8))
        .put("stdoutTruncated", r.stdoutTruncated())
        .put("stderrTruncated", r.stderrTruncated())
        .put("timedOut", r.timedOut())
        .put("durationMs", r.durationNs() / 1_000_000.0);
  }

  // ---------------------------------------------------------------- files

  private void file(RoutingContext rc, Op op) {
    String rel = rc.pathParam("*");
    try {
      rel = rel == null ? null : URLDecoder.decode(rel.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      HttpErrors.write(rc.response(), 400, "invalid_path", "path", "malformed percent-encoding", 0);
      return;
    }
    String problem = pathProblem(rel);
    if (problem != null) {
      HttpErrors.write(rc.response(), 400, "invalid_path", "path", problem, 0);
      return;
    }
    String path = ExecRequest.WORKSPACE + "/" + rel;
    String script =
        switch (op) {
          case GET -> READ_SCRIPT;
          case PUT -> WRITE_SCRIPT;
          case DELETE -> DELETE_SCRIPT;
        };
    byte[] stdin =
        op == Op.PUT
            ? (rc.body().buffer() == null ? new byte[0] : rc.body().buffer().getBytes())
            : null;
    ExecRequest request =
        new ExecRequest(
            List.of("/bin/sh", "-c", script, "sh", path),
            stdin,
            null,
            ExecRequest.WORKSPACE,
            FILE_TIMEOUT_MS);
    withSandbox(
        rc,
        (sandbox, ctx) -> run(rc, ctx, sandbox, request, r -> fileResult(rc, op, path, r, stdin)));
  }

  private void fileResult(RoutingContext rc, Op op, String path, ExecResult r, byte[] uploaded) {
    HttpServerResponse response = rc.response();
    switch (r.exitCode()) {
      case 0 -> {
        if (op == Op.GET) {
          if (r.stdoutTruncated()) {
            HttpErrors.write(
                response,
                413,
                "file_too_large",
                "path",
                path + " is larger than " + api.maxFileBytes() + " bytes",
                0);
            return;
          }
          if (response.ended() || response.closed()) return;
          response
              .setStatusCode(200)
              .putHeader("content-type", "application/octet-stream")
              .end(Buffer.buffer(r.stdout()));
        } else if (op == Op.PUT) {
          ClaimRoutesJson.write(
              response, 201, new JsonObject().put("path", path).put("size", uploaded.length));
        } else {
          if (!response.ended() && !response.closed()) response.setStatusCode(204).end();
        }
      }
      case 3 ->
          HttpErrors.write(
              response,
              403,
              "path_escapes_workspace",
              "path",
              path + " resolves outside /workspace (symlink)",
              0);
      case 4 -> HttpErrors.notFound(response, "path", "no such file: " + truncate(path));
      case 5 ->
          HttpErrors.write(
              response, 400, "is_a_directory", "path", truncate(path) + " is a directory", 0);
      case 6 ->
          HttpErrors.write(
              response,
              400,
              "not_a_regular_file",
              "path",
              truncate(path) + " is not a regular file",
              0);
      default ->
          HttpErrors.write(
              response,
              502,
              "runtime_error",
              null,
              "file operation failed (exit "
                  + r.exitCode()
                  + "): "
                  + truncate(new String(r.stderr(), StandardCharsets.UTF_8).strip()),
              0);
    }
  }

  /** Why a relative workspace path is refused, or null when it is acceptable. */
  static String pathProblem(String rel) {
    if (rel == null || rel.isEmpty()) return "a file path under /workspace is required";
    if (rel.length() > 4096) return "path longer than 4096 characters";
    if (rel.startsWith("/")) return "path must be relative to /workspace";
    for (int i = 0; i < rel.length(); i++) {
      if (rel.charAt(i) < 0x20 || rel.charAt(i) == 0x7f)
        return "path must not contain control characters";
    }
    for (String segment : rel.split("/", -1)) {
      if (segment.equals("..")) return "path must not contain '..' (traversal out of /workspace)";
      if (segment.equals(".")) return "path must not contain '.' segments";
    }
    if (rel.endsWith("/")) return "path must name a file, not end with '/'";
    return null;
  }

  /**
   * True when a raw request path under {@code /v1/sandboxes/} carries a {@code ..} segment (plain
   * or percent-encoded); such requests are normalised away from the files route by the router, so
   * the 404 handler answers them with 400.
   */
  static boolean isTraversal(String rawPath) {
    if (rawPath == null || !rawPath.startsWith("/v1/sandboxes/")) return false;
    String decoded;
    try {
      decoded = URLDecoder.decode(rawPath.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return true;
    }
    for (String segment : decoded.split("/", -1)) {
      if (segment.equals("..")) return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- shared

  /**
   * Checks the token, finds the claim's sandbox on its shard, then calls {@code then} on this loop.
   */
  private void withSandbox(RoutingContext rc, BiConsumer<SandboxRef, ContextInternal> then) {
    HttpServerResponse response = rc.response();
    String auth = rc.request().getHeader("Authorization");
    if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
      response.putHeader("WWW-Authenticate", "Bearer");
      HttpErrors.write(
          response,
          401,
          "unauthorized",
          "Authorization",
          "the claim's token is required: Authorization: Bearer <token from the 201 of POST /v1/claims>",
          0);
      return;
    }
    String claimId = api.tokens().verify(auth.substring(7).trim());
    int k = claimId == null ? -1 : api.router().shardOfClaim(claimId);
    if (k < 0 || k >= api.shards().size()) {
      response.putHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      HttpErrors.write(response, 401, "unauthorized", "Authorization", "invalid token", 0);
      return;
    }
    String id = rc.pathParam("id");
    ContextInternal ctx = (ContextInternal) rc.vertx().getOrCreateContext();
    PromiseInternal<ShardCommand.SandboxLookup> reply = ctx.promise();
    ShardProxy shard = api.shards().get(k);
    shard.send(new ShardCommand.FindClaimSandbox(claimId, reply));
    reply
        .future()
        .onComplete(
            ar -> {
              if (ar.failed()) {
                HttpErrors.write(response, 500, "internal_error", null, "internal error", 0);
                return;
              }
              ShardCommand.SandboxLookup lookup = ar.result();
              switch (lookup.status()) {
                case NOT_FOUND ->
                    HttpErrors.write(
                        response,
                        404,
                        "not_found",
                        "id",
                        "the token's claim " + claimId + " no longer exists (released or expired)",
                        0);
                case PENDING ->
                    HttpErrors.write(
                        response,
                        409,
                        "claim_pending",
                        "id",
                        "claim " + claimId + " is still waiting for a sandbox",
                        0);
                case BOUND -> {
                  SandboxRef sandbox = lookup.sandbox();
                  if (!sandbox.name().equals(id) && !claimId.equals(id)) {
                    HttpErrors.write(
                        response,
                        403,
                        "forbidden",
                        "Authorization",
                        "the token belongs to another claim's sandbox, not " + truncate(id),
                        0);
                  } else if (api.executor() == null || "simulated".equals(sandbox.backend())) {
                    HttpErrors.write(
                        response,
                        501,
                        "simulated_sandbox",
                        null,
                        "sandbox "
                            + sandbox.name()
                            + " is SIMULATED (backend "
                            + sandbox.backend()
                            + "): there is nothing to exec into; start the server with --backend local",
                        0);
                  } else {
                    then.accept(sandbox, ctx);
                  }
                }
              }
            });
  }

  private void run(
      RoutingContext rc,
      ContextInternal ctx,
      SandboxRef sandbox,
      ExecRequest request,
      java.util.function.Consumer<ExecResult> onResult) {
    Future.fromCompletionStage(api.executor().exec(sandbox, request), ctx)
        .onComplete(
            ar -> {
              if (ar.succeeded()) {
                onResult.accept(ar.result());
                return;
              }
              failExec(rc, ar.cause());
            });
  }

  /** Answers an exec that could not run. HTTP loop. */
  private static void failExec(RoutingContext rc, Throwable cause) {
    Throwable t = cause;
    if (t instanceof java.util.concurrent.CompletionException && t.getCause() != null)
      t = t.getCause();
    if (t instanceof ExecException e) {
      switch (e.kind()) {
        case GONE -> HttpErrors.write(rc.response(), 409, "sandbox_gone", "id", e.getMessage(), 0);
        case BUSY -> HttpErrors.write(rc.response(), 503, "exec_busy", null, e.getMessage(), 1_000);
        case RUNTIME_ERROR ->
            HttpErrors.write(rc.response(), 502, "runtime_error", null, e.getMessage(), 0);
      }
    } else {
      HttpErrors.write(rc.response(), 500, "internal_error", null, "internal error", 0);
    }
  }

  private static String truncate(String s) {
    if (s == null) return "";
    String clean = s.replaceAll("[^\\x20-\\x7e]", "?");
    return clean.length() > 200 ? clean.substring(0, 200) + "..." : clean;
  }

  /** JSON writing shared with {@link ClaimRoutes}. */
  static final class ClaimRoutesJson {
    private ClaimRoutesJson() {}

    static void write(HttpServerResponse response, int status, JsonObject body) {
      if (response.ended() || response.closed()) return;
      response
          .setStatusCode(status)
          .putHeader("content-type", "application/json")
          .end(body.toBuffer());
    }
  }
}
