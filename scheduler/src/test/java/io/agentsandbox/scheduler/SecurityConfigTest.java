package io.agentsandbox.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The security flags: auth follows the tokens file unless said otherwise; bad combinations name the
 * flag.
 */
class SecurityConfigTest {

  @Test
  void shouldTurnAuthOnExactlyWhenATokensFileIsGiven() {
    SecurityConfig off = Main.parseSecurityConfig();
    assertThat(off.authEnabled()).isFalse();
    assertThat(off.auth()).isEqualTo("none");
    assertThat(off.tlsEnabled()).isFalse();
    assertThat(off.idleTimeoutSeconds()).isEqualTo(60);
    assertThat(off.requestReadTimeoutMs()).isEqualTo(10_000);

    SecurityConfig on = Main.parseSecurityConfig("--api-tokens-file", "/run/secrets/tokens");
    assertThat(on.authEnabled()).isTrue();
    assertThat(on.apiTokensFile()).isEqualTo(Path.of("/run/secrets/tokens"));

    SecurityConfig explicitOff =
        Main.parseSecurityConfig("--api-tokens-file", "/run/secrets/tokens", "--auth", "none");
    assertThat(explicitOff.authEnabled()).isFalse();
  }

  @Test
  void shouldRefuseBadCombinationsNamingTheFlag() {
    assertThatThrownBy(() -> Main.parseSecurityConfig("--auth", "token"))
        .hasMessageContaining("--api-tokens-file");
    assertThatThrownBy(() -> Main.parseSecurityConfig("--auth", "basic"))
        .hasMessageContaining("--auth");
    assertThatThrownBy(() -> Main.parseSecurityConfig("--tls-cert", "/c.pem"))
        .hasMessageContaining("--tls-key");
    assertThatThrownBy(() -> Main.parseSecurityConfig("--idle-timeout-seconds", "0"))
        .hasMessageContaining("--idle-timeout-seconds");
    assertThatThrownBy(() -> Main.parseSecurityConfig("--request-read-timeout-ms", "5"))
        .hasMessageContaining("--request-read-timeout-ms");
    assertThat(Main.parseSecurityConfig("--tls-cert", "/c.pem", "--tls-key", "/k.pem").tlsEnabled())
        .isTrue();
  }

  @Test
  void shouldNotPrintSecrets() {
    assertThat(Main.parseSecurityConfig("--api-tokens-file", "/run/secrets/tokens").toString())
        .contains("auth=token")
        .contains("/run/secrets/tokens");
  }
}
