package io.agentsandbox.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LoopbackTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "http://127.0.0.1:8080",
        "http://127.0.0.1:8080/",
        "http://127.1.2.3:9",
        "http://localhost:8080",
        "http://LOCALHOST",
        "http://[::1]:8080",
        "http://[0:0:0:0:0:0:0:1]:8080"
      })
  void shouldAcceptLoopbackTargets(String url) {
    assertThat(Loopback.requireLoopback(url).port()).isPositive();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "http://10.0.0.1:8080",
        "http://192.168.1.1",
        "http://0.0.0.0:8080",
        "http://128.0.0.1",
        "http://[::2]:80",
        "http://example.com",
        "http://127.0.0.1.example.com",
        "http://localhost.example.com",
        "http://[::ffff:10.0.0.1]:80",
        "http://2130706433",
        "http://0x7f.0.0.1",
        "http://127.0.0.256"
      })
  void shouldRefuseAnyOtherHost(String url) {
    assertThatThrownBy(() -> Loopback.requireLoopback(url))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("refusing to load")
        .hasMessageContaining("127.0.0.0/8, ::1 or localhost");
  }

  @Test
  void shouldRefuseOtherSchemesPathsAndGarbage() {
    assertThatThrownBy(() -> Loopback.requireLoopback("https://127.0.0.1:8443"))
        .hasMessageContaining("http://");
    assertThatThrownBy(() -> Loopback.requireLoopback("127.0.0.1:8080"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Loopback.requireLoopback("http://127.0.0.1:8080/v1/claims"))
        .hasMessageContaining("without a path");
    assertThatThrownBy(() -> Loopback.requireLoopback("http://user@127.0.0.1:8080"))
        .hasMessageContaining("user info");
    assertThatThrownBy(() -> Loopback.requireLoopback("http://127.0.0.1:8080 x"))
        .hasMessageContaining("not a URL");
    assertThatThrownBy(() -> Loopback.requireLoopback(null))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldDefaultThePortAndFormatIpv6BaseUrls() {
    assertThat(Loopback.requireLoopback("http://localhost").port()).isEqualTo(80);
    assertThat(Loopback.requireLoopback("http://[::1]:8080").baseUrl())
        .isEqualTo("http://[::1]:8080");
    assertThat(Loopback.requireLoopback("http://127.0.0.1:8080").host()).isEqualTo("127.0.0.1");
  }
}
