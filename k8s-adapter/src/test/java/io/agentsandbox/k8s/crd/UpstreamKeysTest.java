package io.agentsandbox.k8s.crd;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UpstreamKeysTest {

  @Test
  void shouldHashNamesWithFnv1a32AsEightLowercaseHexDigits() {
    // reference vectors of FNV-1a 32-bit
    assertThat(UpstreamKeys.nameHash("")).isEqualTo("811c9dc5");
    assertThat(UpstreamKeys.nameHash("a")).isEqualTo("e40c292c");
    assertThat(UpstreamKeys.nameHash("foobar")).isEqualTo("bf9cf968");
    assertThat(UpstreamKeys.nameHash("python-gvisor")).matches("[0-9a-f]{8}");
  }

  @Test
  void shouldPadShortHashesWithLeadingZeros() {
    // brute-force a name whose hash has a leading zero nibble; the output must stay 8 characters
    for (int i = 0; i < 10_000; i++) {
      String h = UpstreamKeys.nameHash("sandbox-" + i);
      assertThat(h).hasSize(8);
    }
  }

  @Test
  void shouldTreatControllerKeysAsSystemReserved() {
    assertThat(UpstreamKeys.isSystemReserved(UpstreamKeys.SANDBOX_NAME_HASH)).isTrue();
    assertThat(UpstreamKeys.isSystemReserved("extensions.agents.x-k8s.io/x")).isTrue();
    assertThat(UpstreamKeys.isSystemReserved("opentelemetry.io/trace-context")).isTrue();
    assertThat(UpstreamKeys.isSystemReserved("app")).isFalse();
  }
}
