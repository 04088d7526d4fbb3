package io.agentsandbox.scheduler.http;

import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.port.AgentLocator;
import io.agentsandbox.core.port.NanoClock;
import io.agentsandbox.core.port.SandboxExecutor;
import io.agentsandbox.scheduler.SchedulerConfig;
import io.agentsandbox.scheduler.pools.PoolCatalog;
import io.agentsandbox.scheduler.shard.ShardProxy;
import io.agentsandbox.scheduler.shard.ShardRouter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * What the HTTP verticles share: immutable configuration and the thread-safe proxies. Immutable.
 *
 * @param ready true once the server may take traffic (for {@code /readyz})
 * @param executor runs commands in sandboxes; null when the backend cannot (the simulated one)
 * @param unavailable why the backend cannot run a runtime class, or null when it can (thread-safe)
 * @param tokens mints and checks claim tokens
 * @param maxFileBytes largest file upload ({@code 413} above) and download
 * @param limits the backend, asked what it enforces of the sandboxes' limits (null: nothing to say)
 * @param agentLocator where sandboxes' agents listen (the sandbox router); null: nowhere
 */
public record ApiContext(
    SchedulerConfig config,
    ShardRouter router,
    List<ShardProxy> shards,
    PoolCatalog catalog,
    PrometheusMeterRegistry registry,
    NanoClock clock,
    BooleanSupplier ready,
    SandboxExecutor executor,
    Function<RuntimeClass, String> unavailable,
    ClaimTokens tokens,
    int maxFileBytes,
    io.agentsandbox.core.port.SandboxProvisioner limits,
    AgentLocator agentLocator) {

  public ApiContext {
    shards = List.copyOf(shards);
    if (agentLocator == null) agentLocator = AgentLocator.NONE;
  }
}
