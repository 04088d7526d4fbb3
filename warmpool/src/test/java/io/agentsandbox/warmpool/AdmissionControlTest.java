package io.agentsandbox.warmpool;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.testing.ClaimFixtures;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class AdmissionControlTest {

  private static final RuntimeClass RC = RuntimeClass.GVISOR;
  private static final long LEAD_NS = TimeUnit.SECONDS.toNanos(1);

  /** maxStarting 10, lead time 1 s: 10 per second; admitted wait 2 s; room of 100. */
  private final WarmPoolPolicy policy =
      WarmPoolPolicy.DEFAULTS.withMaxStarting(10).withAdmission(TimeUnit.SECONDS.toNanos(2), 100);

  private final AdmissionControl admission = new AdmissionControl(policy, CreationGate.UNLIMITED);

  @Test
  void shouldAdmitWhatStartingMembersAndTheAdmittedWaitCanServe() {
    // 5 starting + 10/s * 2 s = 25 servable.
    assertThat(admission.refuseToWait(ClaimFixtures.POOL, RC, false, 24, 24, 5, LEAD_NS)).isNull();
    AdmissionControl.Refusal r =
        admission.refuseToWait(ClaimFixtures.POOL, RC, false, 25, 25, 5, LEAD_NS);
    assertThat(r).isNotNull();
    assertThat(r.message()).contains("25 claims waiting for 5 starting sandboxes");
    // 1 s lead time + (25 - 5) / 10 per s = 3 s.
    assertThat(r.retryAfterMs()).isEqualTo(3_000);
  }

  @Test
  void shouldLetColdStartsWaitUpToTheRoomOnly() {
    assertThat(admission.refuseToWait(ClaimFixtures.POOL, RC, true, 99, 90, 0, LEAD_NS)).isNull();
    AdmissionControl.Refusal r =
        admission.refuseToWait(ClaimFixtures.POOL, RC, true, 100, 0, 0, LEAD_NS);
    assertThat(r.message()).contains("already has 100 claims waiting (its cap)");
    assertThat(r.retryAfterMs()).isEqualTo(policy.emptyRetryAfterMs());
  }

  @Test
  void shouldFollowTheCreationGatesShare() {
    CreationGate slow =
        new CreationGate() {
          @Override
          public int tryAcquire(RuntimeClass rc, int wanted, int poolStarting, long nowNs) {
            return wanted;
          }

          @Override
          public void release(RuntimeClass rc) {}

          @Override
          public double throughputPerSecond(RuntimeClass rc, long leadTimeNs) {
            return 1;
          }
        };
    AdmissionControl gated = new AdmissionControl(policy, slow);
    assertThat(gated.throughputPerSecond(RC, LEAD_NS)).isEqualTo(1);
    assertThat(admission.throughputPerSecond(RC, LEAD_NS)).isEqualTo(10);
    assertThat(gated.refuseToWait(ClaimFixtures.POOL, RC, false, 2, 2, 0, LEAD_NS)).isNotNull();
  }

  @Test
  void shouldTakeTheTenantCapFromTheSpecElseThePolicy() {
    assertThat(admission.tenantCap(ClaimFixtures.pool(1))).isEqualTo(policy.maxClaimsPerTenant());
    PoolSpec capped =
        new PoolSpec(ClaimFixtures.POOL, ClaimFixtures.blueprint(RuntimeClass.GVISOR), 1, 3);
    assertThat(admission.tenantCap(capped)).isEqualTo(3);
  }
}
