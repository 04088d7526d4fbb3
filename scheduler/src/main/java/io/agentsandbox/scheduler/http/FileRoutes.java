package io.agentsandbox.scheduler.http;

import io.agentsandbox.core.model.ExecRequest;
import io.agentsandbox.core.model.ExecResult;
import io.agentsandbox.core.model.FileScripts;
import io.agentsandbox.scheduler.logging.AuditLog;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Files in a claimed sandbox: {@code GET|PUT|DELETE /v1/sandboxes/{id}/files/{path}}. Files are
 * commands too: a small script inside the sandbox resolves the path there, so a symlink planted in
 * the workspace cannot make the server touch a host file. One instance per HTTP verticle; used only
 * on its event loop.
 */
final class FileRoutes {

  private static final long FILE_TIMEOUT_MS = 60_000;

  enum Op {
    GET,
    PUT,
    DELETE
  }

  private final ApiContext api;
  private final SandboxAccess access;

  FileRoutes(ApiContext api, SandboxAccess access) {
    this.api = api;
    this.access = access;
  }

  void handle(RoutingContext rc, Op op) {
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
    FileScripts.Kind kind =
        switch (op) {
          case GET -> FileScripts.Kind.READ;
          case PUT -> FileScripts.Kind.WRITE;
          case DELETE -> FileScripts.Kind.DELETE;
        };
    byte[] stdin =
        op == Op.PUT
            ? (rc.body().buffer() == null ? new byte[0] : rc.body().buffer().getBytes())
            : null;
    ExecRequest request =
        new ExecRequest(
            FileScripts.command(kind, path), stdin, null, ExecRequest.WORKSPACE, FILE_TIMEOUT_MS);
    access.withSandbox(
        rc,
        (sandbox, ctx) ->
            access.run(
                rc,
                ctx,
                sandbox,
                request,
                (r, failure) -> audit(rc, op, sandbox.name(), path, r, failure, stdin),
                r -> fileResult(rc, op, path, r, stdin)));
  }

  /** Writes and deletes go to the audit trail (reads do not). */
  private static void audit(
      RoutingContext rc,
      Op op,
      String sandbox,
      String path,
      ExecResult r,
      Throwable failure,
      byte[] uploaded) {
    if (op == Op.GET) return;
    AuditLog.file(
        rc.request(),
        op == Op.PUT ? "file_write" : "file_delete",
        rc.get(SandboxAccess.CLAIM_ID),
        sandbox,
        path,
        r == null ? -1 : r.exitCode(),
        uploaded == null ? 0 : uploaded.length,
        failure == null ? null : String.valueOf(failure.getMessage()));
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
          HttpResponses.json(
              response, 201, new JsonObject().put("path", path).put("size", uploaded.length));
        } else {
          if (!response.ended() && !response.closed()) response.setStatusCode(204).end();
        }
      }
      case 3 -> {
        AuditLog.denied(rc.request(), 403, "path escapes the workspace (symlink): " + path, null);
        HttpErrors.write(
            response,
            403,
            "path_escapes_workspace",
            "path",
            path + " resolves outside /workspace (symlink)",
            0);
      }
      case 4 ->
          HttpErrors.notFound(response, "path", "no such file: " + HttpResponses.truncate(path));
      case 5 ->
          HttpErrors.write(
              response,
              400,
              "is_a_directory",
              "path",
              HttpResponses.truncate(path) + " is a directory",
              0);
      case 6 ->
          HttpErrors.write(
              response,
              400,
              "not_a_regular_file",
              "path",
              HttpResponses.truncate(path) + " is not a regular file",
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
                  + HttpResponses.truncate(new String(r.stderr(), StandardCharsets.UTF_8).strip()),
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
}
