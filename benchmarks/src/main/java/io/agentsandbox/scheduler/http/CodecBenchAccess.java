package io.agentsandbox.scheduler.http;

import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.ClaimRequest;
import io.vertx.core.buffer.Buffer;

/**
 * BENCHMARK ONLY: reaches {@link ClaimJsonCodec}'s package-private decode and encode from the
 * benchmarks module. It lives in the scheduler's package but in the benchmarks jar (a split
 * package, fine on the class path, which is how JMH runs). If the scheduler ever becomes a named
 * module, replace this with a public entry point there.
 */
public final class CodecBenchAccess {
  private CodecBenchAccess() {}

  /** {@code POST /v1/claims} body → validated request, as the route decodes it. */
  public static ClaimRequest decodeClaim(
      ClaimJsonCodec codec, Buffer body, String headerTenant, String claimId, long nowNs) {
    return codec.decodeClaim(body, headerTenant, claimId, nowNs);
  }

  /** A bound claim → the {@code 201} body bytes, as the route writes them. */
  public static Buffer encodeBound(
      ClaimJsonCodec codec, ClaimRequest request, ClaimOutcome.Assigned assigned, long nowNs) {
    return codec.encodeBound(request, assigned, nowNs).toBuffer();
  }
}
