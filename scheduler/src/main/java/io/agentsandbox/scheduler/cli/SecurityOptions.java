package io.agentsandbox.scheduler.cli;

import io.agentsandbox.scheduler.SecurityConfig;
import java.nio.file.Path;
import picocli.CommandLine.Help.Visibility;
import picocli.CommandLine.Option;

/** API authentication, TLS and slow-client limits. */
public final class SecurityOptions {

  @Option(
      names = "--auth",
      defaultValue = "",
      showDefaultValue = Visibility.NEVER,
      description =
          "API authentication: token, tokenreview, tokenreview,token or none (see below);"
              + " default token with --api-tokens-file, else none.")
  String auth;

  @Option(
      names = "--api-tokens-file",
      defaultValue = "",
      showDefaultValue = Visibility.NEVER,
      description = "API tokens, one 'token [tenant]' per line; re-read when it changes.")
  Path apiTokensFile;

  @Option(
      names = "--tls-cert",
      defaultValue = "",
      showDefaultValue = Visibility.NEVER,
      description = "PEM certificate chain: serve HTTPS (needs --tls-key); re-read on change.")
  Path tlsCert;

  @Option(
      names = "--tls-key",
      defaultValue = "",
      showDefaultValue = Visibility.NEVER,
      description = "PEM private key of --tls-cert.")
  Path tlsKey;

  @Option(
      names = "--security-reload-ms",
      defaultValue = "" + SecurityConfig.DEFAULT_RELOAD_MS,
      description = "How often the tokens and TLS files are checked for changes.")
  long securityReloadMs;

  @Option(
      names = "--idle-timeout-seconds",
      defaultValue = "" + SecurityConfig.DEFAULT_IDLE_TIMEOUT_SECONDS,
      description = "Connections idle this long (no complete request or answer) are closed.")
  int idleTimeoutSeconds;

  @Option(
      names = "--request-read-timeout-ms",
      defaultValue = "" + SecurityConfig.DEFAULT_REQUEST_READ_TIMEOUT_MS,
      description = "A body not arrived this long after its head gets 408; connection closed.")
  long requestReadTimeoutMs;

  /** The security configuration these flags describe (not yet validated). */
  public SecurityConfig toConfig() {
    Path tokens = emptyToNull(apiTokensFile);
    String mode =
        auth == null || auth.isBlank() ? (tokens != null ? "token" : "none") : auth.trim();
    return new SecurityConfig(
        mode,
        tokens,
        emptyToNull(tlsCert),
        emptyToNull(tlsKey),
        securityReloadMs,
        idleTimeoutSeconds,
        requestReadTimeoutMs);
  }

  private static Path emptyToNull(Path p) {
    return p == null || p.toString().isEmpty() ? null : p;
  }
}
