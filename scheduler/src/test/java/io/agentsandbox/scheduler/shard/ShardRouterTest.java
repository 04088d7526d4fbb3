package io.agentsandbox.scheduler.shard;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ShardRouterTest {

  @Test
  void shouldMintIdsThatNameTheirShardAndDoNotRepeat() {
    ShardRouter router = new ShardRouter(256);
    ShardRouter.IdBytes bytes = new ShardRouter.IdBytes(new SecureRandom(new byte[] {1}));
    Set<String> seen = new HashSet<>();
    for (int shard : new int[] {0, 7, 9, 10, 99, 100, 255}) {
      // More ids than one draw of the buffer serves, so the refill is crossed.
      for (int i = 0; i < 500; i++) {
        String id = router.newClaimId(shard, bytes);
        assertThat(id).matches("cl-" + shard + "-[a-z2-7]{20}");
        assertThat(router.shardOfClaim(id)).isEqualTo(shard);
        assertThat(seen.add(id)).as("unique: %s", id).isTrue();
      }
    }
  }

  @Test
  void shouldRefuseIdsNotOurs() {
    ShardRouter router = new ShardRouter(2);
    assertThat(router.shardOfClaim("cl-2-aaaaaaaaaaaaaaaaaaaa")).isEqualTo(-1); // no such shard
    assertThat(router.shardOfClaim("cl-1-aaaaaaaaaaaaaaaaaaa1")).isEqualTo(-1); // not base32
    assertThat(router.shardOfClaim("cl-1-aaaa")).isEqualTo(-1);
    assertThat(router.shardOfClaim(null)).isEqualTo(-1);
    assertThat(router.shardOfClaim("cl-1-aaaaaaaaaaaaaaaaaaaa")).isEqualTo(1);
  }
}
