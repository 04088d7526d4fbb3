package io.agentsandbox.scheduler.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClaimTokensTest {

  @TempDir Path dir;

  @Test
  void shouldDrawA32ByteKeyReadableByItsOwnerOnlyWhenTheFileIsMissing() throws Exception {
    Path f = dir.resolve("k");
    byte[] key = ClaimTokens.persistentKey(f, "claim token key", 32, true);
    assertThat(key).hasSize(32);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
        .isEqualTo("rw-------");
    assertThat(ClaimTokens.persistentKey(f, "claim token key", 32, true)).isEqualTo(key);
  }

  @Test
  void shouldAcceptALongerAgentKeyAsTheChartDrawsItButNotAShorterOne() throws Exception {
    Path chartKey = dir.resolve("agent.key");
    Files.writeString(chartKey, "a".repeat(64)); // the chart's randAlphaNum 64
    assertThat(ClaimTokens.persistentKey(chartKey, "agent key", 32, false)).hasSize(64);
    Path tooShort = dir.resolve("short.key");
    Files.writeString(tooShort, "a".repeat(16));
    assertThatThrownBy(() -> ClaimTokens.persistentKey(tooShort, "agent key", 32, false))
        .hasMessageContaining("has fewer than 32 bytes (16)");
  }

  @Test
  void shouldRejectAClaimTokenKeyOfAnyOtherLength() throws Exception {
    Path f = dir.resolve("k");
    Files.writeString(f, "a".repeat(64));
    assertThatThrownBy(() -> ClaimTokens.persistentKey(f, "claim token key", 32, true))
        .hasMessageContaining("is not 32 bytes (64)");
  }

  @Test
  void shouldVerifyItsOwnTokensOnly() {
    ClaimTokens t = ClaimTokens.persistent(dir.resolve("k"));
    String token = t.token("cl-1");
    assertThat(t.verify(token)).isEqualTo("cl-1");
    assertThat(t.verify(token + "x")).isNull();
    assertThat(t.verify("cl-1.AAAA")).isNull();
  }
}
