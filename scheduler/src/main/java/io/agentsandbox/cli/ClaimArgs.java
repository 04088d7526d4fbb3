package io.agentsandbox.cli;

import io.agentsandbox.client.AgentSandboxClient;
import io.agentsandbox.client.ClaimOptions;
import io.agentsandbox.client.OnEmpty;
import io.agentsandbox.client.SandboxHandle;
import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** Options of a claim ({@code claim}, {@code run}). */
final class ClaimArgs {
  @Option(
      names = {"-p", "--pool"},
      required = true,
      paramLabel = "POOL",
      description = "The pool: name, or namespace/name (see `agent-sandbox pools`).")
  String pool;

  @Option(
      names = "--wait",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "How long the server may wait for a sandbox, e.g. 10s (server default 10s).")
  Duration waitTime;

  @Option(
      names = "--on-empty",
      paramLabel = "wait|cold|reject",
      description =
          "No ready sandbox: wait (default), cold (start one now), reject (fail at once).")
  String onEmpty;

  @Option(
      names = "--ttl",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Release automatically after this long (server default 1h; 0 = never).")
  Duration ttl;

  @Option(names = "--tenant", paramLabel = "TENANT", description = "The tenant (X-Tenant).")
  String tenant;

  @Option(names = "--priority", paramLabel = "N", description = "-1000..1000, higher first.")
  Integer priority;

  /** Claims a sandbox of the pool with these options. */
  SandboxHandle claim(AgentSandboxClient client, CommandSpec spec) {
    return client.claim(pool, options(spec));
  }

  ClaimOptions options(CommandSpec spec) {
    ClaimOptions o = ClaimOptions.defaults();
    if (waitTime != null) o = o.withWait(waitTime);
    if (onEmpty != null) {
      try {
        o = o.withOnEmpty(OnEmpty.valueOf(onEmpty.toUpperCase(Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--on-empty must be wait, cold or reject, not " + onEmpty);
      }
    }
    if (ttl != null) o = o.withTtl(ttl);
    if (tenant != null) o = o.withTenant(tenant);
    if (priority != null) o = o.withPriority(priority);
    return o;
  }

  /** {@link ClaimArgs} as a picocli mixin. */
  static final class Mixin {
    @CommandLine.ArgGroup(exclusive = false, multiplicity = "1")
    ClaimArgs claim;
  }
}
