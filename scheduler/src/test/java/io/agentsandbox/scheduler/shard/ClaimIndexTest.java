package io.agentsandbox.scheduler.shard;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.ClaimRequest;
import io.agentsandbox.core.model.LaunchType;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxRef;
import io.agentsandbox.core.testing.ClaimFixtures;
import io.agentsandbox.warmpool.ClaimView;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bounds on the claims a shard keeps readable after their sandbox died. */
class ClaimIndexTest {

  private static ClaimView lost(int i, long atNs) {
    ClaimRequest r = ClaimFixtures.claim().id("cl-" + i).at(0).build();
    SandboxRef s = new SandboxRef("sb-" + i, r.pool(), RuntimeClass.GVISOR, List.of(), "local");
    return new ClaimView(
        r,
        new ClaimOutcome.Assigned(r.claimId(), s, LaunchType.WARM, 0, 0),
        new ClaimView.Lost("Died", atNs));
  }

  @Test
  void shouldDropTheOldestLostClaimsPastTheCountBound() {
    ClaimIndex index = new ClaimIndex();
    for (int i = 0; i < ClaimIndex.LOST_MAX + 10; i++) index.lost(lost(i, i));

    assertThat(index.lostCount()).isEqualTo(ClaimIndex.LOST_MAX);
    assertThat(index.read("cl-0", "t", 100).status())
        .isEqualTo(ShardCommand.ReadReply.Status.NOT_FOUND);
    assertThat(index.read("cl-10", "t", 100).status())
        .isEqualTo(ShardCommand.ReadReply.Status.FOUND);
  }

  @Test
  void shouldDropLostClaimsPastTheRetentionWhenAnotherIsAdded() {
    ClaimIndex index = new ClaimIndex();
    index.lost(lost(1, 0));
    index.lost(lost(2, 1));
    index.lost(lost(3, ClaimIndex.LOST_RETENTION_NS));

    assertThat(index.lostCount()).isEqualTo(2);
    assertThat(index.findSandbox("cl-2", ClaimIndex.LOST_RETENTION_NS).status())
        .isEqualTo(ShardCommand.SandboxLookup.Status.GONE);
  }
}
