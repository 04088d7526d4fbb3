package io.agentsandbox.bench.codec;

import io.agentsandbox.bench.BenchmarkBase;
import io.agentsandbox.bench.Fixtures;
import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.ClaimRequest;
import io.agentsandbox.core.model.LaunchType;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxRef;
import io.agentsandbox.scheduler.Main;
import io.agentsandbox.scheduler.SchedulerConfig;
import io.agentsandbox.scheduler.http.ClaimJsonCodec;
import io.agentsandbox.scheduler.pools.PoolCatalog;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The HTTP edge's JSON cost per claim: {@link ClaimJsonCodec} decoding and validating a {@code POST
 * /v1/claims} body (one pass of Jackson's streaming parser), and encoding the {@code 201} body of a
 * bound claim to bytes: through a {@link JsonObject} tree ({@link #encodeBound}, what {@code GET}
 * still uses) and straight from the generator ({@link #encodeBoundDirect}, the {@code 201}).
 * Baselines: {@link #decodeBaselineParseOnly} (Vert.x/Jackson parse of the same bytes into a {@link
 * JsonObject}, no validation, no model) and {@link #encodeBaselineFixedObject} (serialising an
 * already built {@link JsonObject} of the same shape).
 */
@State(Scope.Thread)
public class ClaimCodecBenchmark extends BenchmarkBase {

  private static final long NOW = 5_000_000_000L;

  private ClaimJsonCodec codec;
  private Buffer body;
  private ClaimRequest request;
  private ClaimOutcome.Assigned assigned;
  private JsonObject fixedResponse;

  @Setup(Level.Trial)
  public void setUp() {
    SchedulerConfig config = Main.parseConfig("--pools-dir", ".");
    codec = new ClaimJsonCodec(config, new PoolCatalog(List.of(Fixtures.pool(Fixtures.POOL, 10))));
    body =
        Buffer.buffer(
            new JsonObject()
                .put("pool", "bench-gvisor")
                .put("tenant", "alice")
                .put("waitMs", 5000)
                .put("onEmpty", "cold")
                .put("ttlSeconds", 600)
                .encode());
    request = codec.decodeClaim(body, null, "cl-0-abcdefghijklmnopqrst", NOW);
    SandboxRef sandbox =
        new SandboxRef(
            "bench-gvisor-x7k2p",
            Fixtures.POOL,
            RuntimeClass.GVISOR,
            List.of("198.51.100.7"),
            "simulated");
    assigned =
        new ClaimOutcome.Assigned(
            request.claimId(),
            sandbox,
            LaunchType.WARM,
            80_000,
            NOW + TimeUnit.SECONDS.toNanos(600));
    fixedResponse = new JsonObject(codec.encodeBound(request, assigned, NOW).toBuffer());
    JsonArray podIps = fixedResponse.getJsonObject("sandbox").getJsonArray("podIPs");
    if (podIps.size() != 1 || !"Bound".equals(fixedResponse.getString("status"))) {
      throw new IllegalStateException("unexpected response " + fixedResponse);
    }
  }

  @Benchmark
  public ClaimRequest decodeClaim() {
    return codec.decodeClaim(body, null, "cl-0-abcdefghijklmnopqrst", NOW);
  }

  @Benchmark
  public Object decodeBaselineParseOnly() {
    return body.toJsonValue();
  }

  @Benchmark
  public Buffer encodeBound() {
    return codec.encodeBound(request, assigned, NOW).toBuffer();
  }

  @Benchmark
  public Buffer encodeBoundDirect() {
    return codec.encodeBoundBody(request, assigned, NOW, "cl-0-abcdefghijklmnopqrst.token");
  }

  @Benchmark
  public Buffer encodeBaselineFixedObject() {
    return fixedResponse.toBuffer();
  }

  public static void main(String[] args) throws Exception {
    run(ClaimCodecBenchmark.class, args);
  }
}
