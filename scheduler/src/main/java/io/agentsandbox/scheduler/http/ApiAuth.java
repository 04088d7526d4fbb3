package io.agentsandbox.scheduler.http;

import io.agentsandbox.core.port.TokenVerifier;
import io.agentsandbox.scheduler.logging.AuditLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * API tokens: who may call {@code /v1}, and as which tenant. Tokens come from a file, one {@code
 * token [tenant]} per line ({@code #} comments and blank lines ignored; a bare token is tenant
 * {@code default}). The table is immutable and swapped whole through a volatile reference, so
 * request threads read it without locks; {@link #reloadIfChanged()} does file I/O and must run off
 * the event loops (a worker). Only SHA-256 digests of tokens are kept; a presented token is checked
 * against every entry with {@link MessageDigest#isEqual} and no early exit (constant time in the
 * token's content). Tokens are never logged. Thread-safe.
 */
public final class ApiAuth {

  private static final Logger LOG = LoggerFactory.getLogger(ApiAuth.class);
  static final Pattern TENANT = Pattern.compile("[A-Za-z0-9._:@-]{1,128}");

  /** Longest token accepted in a header; longer ones are refused without hashing. */
  static final int MAX_TOKEN_CHARS = 512;

  private record Entry(byte[] digest, String tenant) {}

  private record Table(List<Entry> entries, FileTime mtime, long size) {}

  // Any thread (published)
  private volatile Table table;
  // Reload worker only (ordered executeBlocking)
  private final Path file;

  private ApiAuth(Path file, Table table) {
    this.file = file;
    this.table = table;
  }

  /** No authentication: {@link #enabled()} is false. */
  public static ApiAuth none() {
    return new ApiAuth(null, null);
  }

  /**
   * Tokens from {@code file}, read now (blocking: call at start-up, off the event loops).
   *
   * @throws IllegalStateException when the file cannot be read
   */
  public static ApiAuth fromFile(Path file) {
    try {
      Table t = read(file);
      if (t.entries().isEmpty()) {
        LOG.warn(
            "API tokens file {} holds no token: every /v1 call is refused with 401 until one is added (it is re-read on change)",
            file);
      } else {
        LOG.info("API auth: {} token(s) from {}", t.entries().size(), file);
      }
      return new ApiAuth(file, t);
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot read --api-tokens-file " + file + ": " + e.getMessage(), e);
    }
  }

  // Set once at start-up, before the HTTP verticles start (published by their deployment)
  private volatile TokenVerifier remote;

  /** No tokens file: every token is checked by {@code verifier} (Kubernetes TokenReview). */
  public static ApiAuth remoteOnly(TokenVerifier verifier) {
    ApiAuth auth = new ApiAuth(null, null);
    auth.remote = verifier;
    return auth;
  }

  /**
   * Also checks tokens that are not in the file with {@code verifier} (Kubernetes TokenReview).
   * Call at start-up, before the HTTP verticles start.
   */
  public ApiAuth withRemote(TokenVerifier verifier) {
    this.remote = verifier;
    return this;
  }

  /** The outside authority for tokens not in the file, or null. */
  public TokenVerifier remote() {
    return remote;
  }

  /**
   * Asks the {@link #remote()} authority (which must be set) about {@code token} and calls {@code
   * then} with its verdict, or with the failure when it could not answer, on {@code ctx}.
   */
  public void verifyRemotely(
      io.vertx.core.Context ctx,
      String token,
      java.util.function.BiConsumer<TokenVerifier.Verdict, Throwable> then) {
    remote
        .verify(token)
        .whenComplete((verdict, failure) -> ctx.runOnContext(v -> then.accept(verdict, failure)));
  }

  /** True when {@code /v1} calls need a token. */
  public boolean enabled() {
    return file != null || remote != null;
  }

  /** Number of tokens in the current table. */
  public int size() {
    Table t = table;
    return t == null ? 0 : t.entries().size();
  }

  /**
   * The tenant of a presented token, or null when it is not one of ours. Constant time in the
   * token's content (every entry is compared, no early exit). Any thread; no I/O.
   */
  public String tenantOf(String token) {
    Table t = table;
    if (t == null || token == null || token.isEmpty() || token.length() > MAX_TOKEN_CHARS)
      return null;
    byte[] given = sha256(token);
    String found = null;
    for (Entry e : t.entries()) {
      if (MessageDigest.isEqual(given, e.digest()) & found == null) found = e.tenant();
    }
    return found;
  }

  /**
   * Re-reads the file when its modification time or size changed; keeps the current table when the
   * file cannot be read. Blocking I/O: call from a worker thread only.
   *
   * @return true when a new table was installed
   */
  public boolean reloadIfChanged() {
    if (file == null) return false;
    Table current = table;
    try {
      FileTime mtime = Files.getLastModifiedTime(file);
      long size = Files.size(file);
      if (current != null && mtime.equals(current.mtime()) && size == current.size()) return false;
      Table next = read(file);
      table = next;
      AuditLog.tokensReloaded(file.toString(), next.entries().size());
      return true;
    } catch (IOException | RuntimeException e) {
      LOG.warn(
          "cannot re-read API tokens file {} ({}); keeping the {} token(s) loaded before",
          file,
          e.getMessage(),
          size());
      return false;
    }
  }

  private static Table read(Path file) throws IOException {
    FileTime mtime = Files.getLastModifiedTime(file);
    long size = Files.size(file);
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    List<Entry> entries = new ArrayList<>();
    int n = 0;
    for (String raw : lines) {
      n++;
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) continue;
      String[] parts = line.split("\\s+");
      String tenant = parts.length >= 2 ? parts[1] : "default";
      if (parts.length > 2
          || parts[0].length() > MAX_TOKEN_CHARS
          || !TENANT.matcher(tenant).matches()) {
        // The line number only: the line holds a secret.
        LOG.warn(
            "API tokens file {} line {}: expected 'token [tenant]' (tenant: 1-128 of A-Z a-z 0-9 . _ : @ -, token at most {} chars); line ignored",
            file,
            n,
            MAX_TOKEN_CHARS);
        continue;
      }
      entries.add(new Entry(sha256(parts[0]), tenant));
    }
    return new Table(List.copyOf(entries), mtime, size);
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }
}
