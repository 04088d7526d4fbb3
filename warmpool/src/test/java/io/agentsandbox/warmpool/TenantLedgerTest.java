package io.agentsandbox.warmpool;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TenantLedgerTest {

  private final TenantLedger ledger = new TenantLedger();

  @Test
  void shouldCountClaimsPerTenantAgainstTheCap() {
    assertThat(ledger.isAtCap("a", 2)).isFalse();
    ledger.add("a", +1);
    ledger.add("a", +1);
    ledger.add("b", +1);
    assertThat(ledger.isAtCap("a", 2)).isTrue();
    assertThat(ledger.isAtCap("b", 2)).isFalse();
    ledger.add("a", -1);
    assertThat(ledger.isAtCap("a", 2)).isFalse();
    assertThat(ledger.held("a")).isEqualTo(1);
    assertThat(ledger.held("nobody")).isZero();
  }

  @Test
  void shouldNotRefuseAnUnknownTenantEvenWithCapZero() {
    assertThat(ledger.isAtCap("new", 0)).isFalse();
  }

  @Test
  void shouldSweepTenantsHoldingNothingOnlyWhenMany() {
    ledger.add("holder", +1);
    for (int i = 0; i < TenantLedger.SWEEP_ABOVE; i++) {
      ledger.add("t" + i, +1);
      ledger.add("t" + i, -1);
    }
    ledger.sweep();
    assertThat(ledger.tenants()).isEqualTo(1);
    assertThat(ledger.held("holder")).isEqualTo(1);

    ledger.add("x", +1);
    ledger.add("x", -1);
    ledger.sweep(); // few entries: kept, so a returning tenant allocates nothing
    assertThat(ledger.tenants()).isEqualTo(2);
  }
}
