package io.agentsandbox.scheduler.logging;

import io.agentsandbox.core.logging.LogBudget;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The audit trail, on its own logger {@value #LOGGER} (route it to its own file or sink): every
 * refused call ({@code 401}/{@code 403}: source address, method, route, reason, and at most {@code
 * token_sha256}, the first 8 hex digits of the presented token's SHA-256, never the token), every
 * exec and file write or delete in a sandbox (claim, sandbox, {@code argv0} or {@code path}, exit
 * code, bytes), every request routed to a sandbox's agent, and token and certificate reloads. Field
 * {@code event} says which. Bounded by the {@code audit} {@link LogBudget}, so a flood of refused
 * calls cannot flood the log (the drop count is logged). Any thread; stateless.
 */
public final class AuditLog {

  /** The logger's name. */
  public static final String LOGGER = "io.agentsandbox.audit";

  private static final Logger LOG = LoggerFactory.getLogger(LOGGER);
  private static final LogBudget BUDGET = LogBudget.named("audit");
  private static final int MAX_ROUTE = 256;

  private AuditLog() {}

  /**
   * A call refused with {@code status} (401 or 403). {@code token} is the presented bearer token or
   * null; only a short hash of it is logged.
   */
  public static void denied(HttpServerRequest req, int status, String reason, String token) {
    LoggingEventBuilder b = Lines.info(LOG, BUDGET);
    if (b == null) return;
    request(b.setMessage("access denied").addKeyValue("event", "denied"), req)
        .addKeyValue("status", status)
        .addKeyValue("reason", reason);
    Lines.kv(b, "token_sha256", tokenHash(token)).log();
  }

  /**
   * A command ran in a sandbox ({@code exitCode} -1 when it could not run; {@code error} then says
   * why).
   */
  public static void exec(
      HttpServerRequest req,
      String claimId,
      String sandbox,
      String argv0,
      int exitCode,
      long bytesIn,
      long bytesOut,
      String execPath,
      String error) {
    LoggingEventBuilder b = Lines.info(LOG, BUDGET);
    if (b == null) return;
    request(b.setMessage("exec").addKeyValue("event", "exec"), req);
    sandbox(b, claimId, sandbox)
        .addKeyValue("argv0", truncate(argv0))
        .addKeyValue("exit_code", exitCode);
    b.addKeyValue("bytes_in", bytesIn).addKeyValue("bytes_out", bytesOut);
    Lines.kv(b, "exec_path", execPath);
    Lines.kv(b, "error", error).log();
  }

  /** A file was written ({@code op} {@code file_write}) or deleted ({@code file_delete}). */
  public static void file(
      HttpServerRequest req,
      String op,
      String claimId,
      String sandbox,
      String path,
      int exitCode,
      long bytes,
      String error) {
    LoggingEventBuilder b = Lines.info(LOG, BUDGET);
    if (b == null) return;
    request(b.setMessage(op.replace('_', ' ')).addKeyValue("event", op), req);
    sandbox(b, claimId, sandbox)
        .addKeyValue("path", truncate(path))
        .addKeyValue("exit_code", exitCode)
        .addKeyValue("bytes", bytes);
    Lines.kv(b, "error", error).log();
  }

  /**
   * A request went through the sandbox router to a sandbox's agent and was answered {@code status}.
   */
  public static void routed(
      HttpServerRequest req, String claimId, String sandbox, int port, int status) {
    LoggingEventBuilder b = Lines.info(LOG, BUDGET);
    if (b == null) return;
    request(b.setMessage("routed to sandbox").addKeyValue("event", "routed"), req);
    sandbox(b, claimId, sandbox).addKeyValue("port", port).addKeyValue("status", status).log();
  }

  /** The API tokens file was re-read: {@code tokens} now. */
  public static void tokensReloaded(String file, int tokens) {
    LoggingEventBuilder b = Lines.info(LOG, BUDGET);
    if (b == null) return;
    b.setMessage("API tokens reloaded")
        .addKeyValue("event", "tokens_reloaded")
        .addKeyValue("file", file)
        .addKeyValue("tokens", tokens)
        .addKeyValue("replica", Lines.REPLICA)
        .log();
  }

  /** The TLS certificate was re-read and is in use ({@code ok}) or refused. */
  public static void certificateReloaded(String file, boolean ok, String error) {
    LoggingEventBuilder b = Lines.info(LOG, BUDGET);
    if (b == null) return;
    b.setMessage(ok ? "TLS certificate reloaded" : "TLS certificate refused")
        .addKeyValue("event", "tls_reloaded")
        .addKeyValue("file", file)
        .addKeyValue("ok", ok)
        .addKeyValue("replica", Lines.REPLICA);
    Lines.kv(b, "error", error).log();
  }

  /**
   * The first 8 hex digits of the token's SHA-256, or null: what the audit trail shows of a token
   * (an operator finds a token's lines with {@code printf %s "$TOKEN" | sha256sum | cut -c1-8}).
   */
  public static String tokenHash(String token) {
    if (token == null || token.isEmpty()) return null;
    try {
      byte[] d =
          MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      return null;
    }
  }

  private static LoggingEventBuilder request(LoggingEventBuilder b, HttpServerRequest req) {
    SocketAddress remote = req.remoteAddress();
    Lines.kv(b, "source", remote == null ? null : remote.hostAddress());
    return b.addKeyValue("method", req.method().name())
        .addKeyValue("route", truncate(req.path()))
        .addKeyValue("replica", Lines.REPLICA);
  }

  private static LoggingEventBuilder sandbox(
      LoggingEventBuilder b, String claimId, String sandbox) {
    Lines.kv(b, "claim_id", claimId);
    return Lines.kv(b, "sandbox", sandbox);
  }

  private static String truncate(String s) {
    if (s == null) return null;
    return s.length() <= MAX_ROUTE ? s : s.substring(0, MAX_ROUTE) + "…";
  }
}
