package io.agentsandbox.scheduler;

import java.nio.file.Path;

/**
 * Identity, TLS and slow-client settings of the HTTP API, built once by {@link Main} and kept apart
 * from {@link SchedulerConfig} so that either can grow on its own. Immutable.
 *
 * @param auth {@code token} (every {@code /v1} call needs {@code Authorization: Bearer <API token>}
 *     from the tokens file), {@code tokenreview} (the token is checked by the Kubernetes API
 *     server's TokenReview; {@code --backend kubernetes} only), {@code tokenreview,token} (the file
 *     first, then TokenReview), or {@code none} (no API authentication; a loud warning at start-up)
 * @param apiTokensFile file of API tokens, one {@code token [tenant]} per line; null when none
 * @param tlsCert PEM certificate chain; null for plain HTTP
 * @param tlsKey PEM private key of {@code tlsCert}; null for plain HTTP
 * @param reloadIntervalMs how often the tokens file and the TLS files are checked for changes
 * @param idleTimeoutSeconds connections without a complete request or answer this long are closed
 *     (a request head trickled byte by byte is cut then)
 * @param requestReadTimeoutMs a request whose body has not fully arrived this long after its head
 *     gets {@code 408} and its connection is closed
 */
public record SecurityConfig(
    String auth,
    Path apiTokensFile,
    Path tlsCert,
    Path tlsKey,
    long reloadIntervalMs,
    int idleTimeoutSeconds,
    long requestReadTimeoutMs) {

  /** Default period of the checks for changed tokens and TLS files. */
  public static final long DEFAULT_RELOAD_MS = 2_000;

  /** Default idle time after which a connection is closed. */
  public static final int DEFAULT_IDLE_TIMEOUT_SECONDS = 60;

  /** Default time a request body may take to arrive after its head. */
  public static final long DEFAULT_REQUEST_READ_TIMEOUT_MS = 10_000;

  /** Auth off, plain HTTP: what {@code ./run.sh} gets without a tokens file. */
  public static final SecurityConfig DEFAULTS =
      new SecurityConfig(
          "none",
          null,
          null,
          null,
          DEFAULT_RELOAD_MS,
          DEFAULT_IDLE_TIMEOUT_SECONDS,
          DEFAULT_REQUEST_READ_TIMEOUT_MS);

  /** True when {@code /v1} calls need an API token. */
  public boolean authEnabled() {
    return !auth.equals("none");
  }

  /** True when API tokens come from {@link #apiTokensFile}. */
  public boolean fileTokens() {
    return java.util.List.of(auth.split(",")).contains("token");
  }

  /** True when tokens not in the file are checked with a Kubernetes TokenReview. */
  public boolean tokenReview() {
    return java.util.List.of(auth.split(",")).contains("tokenreview");
  }

  /** True when the server speaks TLS. */
  public boolean tlsEnabled() {
    return tlsCert != null;
  }

  /**
   * Checks every value; the message names the flag at fault.
   *
   * @throws IllegalArgumentException on the first invalid value
   */
  public SecurityConfig validate() {
    check(
        java.util.Set.of("token", "none", "tokenreview", "tokenreview,token", "token,tokenreview")
            .contains(auth),
        "--auth must be token, tokenreview, tokenreview,token or none: " + auth);
    check(
        !fileTokens() || apiTokensFile != null,
        "--auth " + auth + " needs --api-tokens-file (env AGENT_SANDBOX_API_TOKENS_FILE)");
    check(
        (tlsCert == null) == (tlsKey == null),
        "--tls-cert and --tls-key go together: give both or neither");
    check(
        reloadIntervalMs >= 100 && reloadIntervalMs <= 3_600_000,
        "--security-reload-ms must be 100..3600000: " + reloadIntervalMs);
    check(
        idleTimeoutSeconds >= 1 && idleTimeoutSeconds <= 86_400,
        "--idle-timeout-seconds must be 1..86400: " + idleTimeoutSeconds);
    check(
        requestReadTimeoutMs >= 100 && requestReadTimeoutMs <= 3_600_000,
        "--request-read-timeout-ms must be 100..3600000: " + requestReadTimeoutMs);
    return this;
  }

  private static void check(boolean ok, String message) {
    if (!ok) throw new IllegalArgumentException(message);
  }

  /** Never prints token values (there are none here; only the file's path). */
  @Override
  public String toString() {
    return "SecurityConfig[auth="
        + auth
        + ", apiTokensFile="
        + apiTokensFile
        + ", tls="
        + (tlsEnabled() ? tlsCert + " + " + tlsKey : "off")
        + ", reloadIntervalMs="
        + reloadIntervalMs
        + ", idleTimeoutSeconds="
        + idleTimeoutSeconds
        + ", requestReadTimeoutMs="
        + requestReadTimeoutMs
        + "]";
  }
}
