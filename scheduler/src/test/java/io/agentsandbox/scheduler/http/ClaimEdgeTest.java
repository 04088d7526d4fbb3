package io.agentsandbox.scheduler.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What the edge takes for itself; everything else is left to the router (ClaimApiTest). */
class ClaimEdgeTest {

  @Test
  void shouldReadOnlyAPlainDecimalContentLength() {
    assertThat(ClaimEdge.contentLength("42")).isEqualTo(42);
    assertThat(ClaimEdge.contentLength("0")).isZero();
    assertThat(ClaimEdge.contentLength(null)).isEqualTo(-1);
    assertThat(ClaimEdge.contentLength("")).isEqualTo(-1);
    assertThat(ClaimEdge.contentLength("-1")).isEqualTo(-1);
    assertThat(ClaimEdge.contentLength(" 42")).isEqualTo(-1);
    assertThat(ClaimEdge.contentLength("4e2")).isEqualTo(-1);
    assertThat(ClaimEdge.contentLength("9999999999999")).isEqualTo(-1);
  }

  @Test
  void shouldTakeOnlyPlainClaimIds() {
    String p = "/v1/claims/";
    assertThat(ClaimEdge.isPlainId(p + "cl-1-abcdefghij234567abcd", p.length())).isTrue();
    assertThat(ClaimEdge.isPlainId(p, p.length())).isFalse();
    assertThat(ClaimEdge.isPlainId(p + "a/b", p.length())).isFalse();
    assertThat(ClaimEdge.isPlainId(p + "a%2Fb", p.length())).isFalse();
    assertThat(ClaimEdge.isPlainId(p + "..", p.length())).isFalse();
    assertThat(ClaimEdge.isPlainId(p + "x".repeat(129), p.length())).isFalse();
  }
}
