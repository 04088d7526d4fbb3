package io.agentsandbox.scheduler.http;

import io.agentsandbox.core.port.NanoClock;
import io.agentsandbox.scheduler.SchedulerConfig;
import io.agentsandbox.scheduler.pools.PoolCatalog;
import io.agentsandbox.scheduler.shard.ShardProxy;
import io.agentsandbox.scheduler.shard.ShardRouter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * What the HTTP verticles share: immutable configuration and the thread-safe proxies. Immutable.
 *
 * @param ready true once the server may take traffic (for {@code /readyz})
 */
public record ApiContext(
    SchedulerConfig config,
    ShardRouter router,
    List<ShardProxy> shards,
    PoolCatalog catalog,
    PrometheusMeterRegistry registry,
    NanoClock clock,
    BooleanSupplier ready) {

  public ApiContext {
    shards = List.copyOf(shards);
  }
}
