package io.agentsandbox.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Functional burst: 2,000 concurrent HTTP claims against pools holding 2,000 ready (simulated)
 * sandboxes. All get 201 and each sandbox is bound once. Correctness only: how fast a burst binds
 * is measured by the load harness's {@code burst} mode in {@code benchmarks}.
 */
class ClaimBurstTest {

  private static final Logger LOG = LoggerFactory.getLogger(ClaimBurstTest.class);
  private static final int CLAIMS = 2_000;
  private static final String[] POOLS = {"burst-gvisor", "burst-runc"};

  private final java.util.Map<String, String> tenants =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final Set<String> sandboxesEverBound = new HashSet<>();

  private String tenantOf(String claimId) {
    return tenants.get(claimId);
  }

  /** Sends CLAIMS claims at once; asserts each got its own sandbox; returns the claim ids. */
  private Set<String> burst(WebClient web, String label) throws Exception {
    List<Future<HttpResponse<Buffer>>> replies = new ArrayList<>(CLAIMS);
    for (int i = 0; i < CLAIMS; i++) {
      JsonObject body =
          new JsonObject().put("pool", POOLS[i % POOLS.length]).put("tenant", "t" + (i % 20));
      replies.add(
          web.request(HttpMethod.POST, "/v1/claims")
              .putHeader("content-type", "application/json")
              .sendJsonObject(body));
    }
    TestPools.await(Future.join(new ArrayList<>(replies)).timeout(60, TimeUnit.SECONDS));
    Set<String> claims = new HashSet<>();
    for (Future<HttpResponse<Buffer>> f : replies) {
      HttpResponse<Buffer> r = f.result();
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
      JsonObject claim = r.bodyAsJsonObject();
      assertThat(claim.getString("launchType")).isEqualTo("warm");
      assertThat(sandboxesEverBound.add(claim.getJsonObject("sandbox").getString("name")))
          .as("sandbox bound once")
          .isTrue();
      claims.add(claim.getString("claimId"));
      tenants.put(claim.getString("claimId"), claim.getString("tenant"));
    }
    assertThat(claims).hasSize(CLAIMS);
    LOG.info(
        "burst ({}): {} concurrent HTTP claims, all 201, each sandbox bound once", label, CLAIMS);
    return claims;
  }

  @Test
  void shouldBindTwoThousandConcurrentClaimsOnceEach(@TempDir Path dir) throws Exception {
    StringBuilder yaml = new StringBuilder();
    for (String pool : POOLS) {
      yaml.append(TestPools.template(pool, pool.endsWith("gvisor") ? "gvisor" : null))
          .append(TestPools.pool(pool, pool, CLAIMS / POOLS.length, null));
    }
    Files.writeString(dir.resolve("pools.yaml"), yaml);
    SchedulerServer server =
        TestPools.await(
            SchedulerServer.start(
                Main.parseConfig(
                    "--port",
                    "0",
                    "--backend",
                    "simulated",
                    "--pools-dir",
                    dir.toString(),
                    "--simulated-latency",
                    "gvisor=0,default=0,*=0",
                    "--max-starting-per-pool",
                    "4096")));
    Vertx client = Vertx.vertx();
    try {
      WebClient web =
          WebClient.create(
              client,
              new WebClientOptions()
                  .setDefaultHost("127.0.0.1")
                  .setDefaultPort(server.port())
                  .setKeepAlive(true),
              new PoolOptions().setHttp1MaxSize(500));
      TestPools.awaitReady(web, POOLS, CLAIMS / POOLS.length);

      // First burst on a cold JVM and fresh connections; then all are released, the pools refill,
      // and a second burst runs on warm code and open connections. Both are logged.
      Set<String> first = burst(web, "cold JVM");
      for (String claimId : first) {
        assertThat(
                TestPools.await(
                        web.delete("/v1/claims/" + claimId)
                            .putHeader("X-Tenant", tenantOf(claimId))
                            .send())
                    .statusCode())
            .isEqualTo(204);
      }
      TestPools.awaitReady(web, POOLS, CLAIMS / POOLS.length);
      Set<String> second = burst(web, "warm JVM");
      assertThat(second).doesNotContainAnyElementsOf(first);
    } finally {
      TestPools.await(client.close());
      TestPools.await(server.close());
    }
  }
}
