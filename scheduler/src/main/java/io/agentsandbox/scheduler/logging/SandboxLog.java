package io.agentsandbox.scheduler.logging;

import io.agentsandbox.core.logging.LogBudget;
import io.agentsandbox.core.model.PoolKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * One INFO line per sandbox lifecycle event the scheduler acts on, on logger {@value #LOGGER}:
 * created (asked of the backend), ready, failed (with the backend's reason, e.g. the kubelet's),
 * deleted. Fields {@code pool}, {@code sandbox}, {@code event}, {@code reason}, {@code shard},
 * {@code replica}. Bounded by the {@code sandboxes} {@link LogBudget}. Called on shard loops;
 * stateless.
 */
public final class SandboxLog {

  /** The logger's name. */
  public static final String LOGGER = "io.agentsandbox.sandboxes";

  private static final Logger LOG = LoggerFactory.getLogger(LOGGER);
  private static final LogBudget BUDGET = LogBudget.named("sandboxes");

  private SandboxLog() {}

  public static void created(PoolKey pool, String sandbox, int shard) {
    LoggingEventBuilder b = line("sandbox created", "created", pool, sandbox, shard);
    if (b != null) b.log();
  }

  public static void ready(PoolKey pool, String sandbox, int shard) {
    LoggingEventBuilder b = line("sandbox ready", "ready", pool, sandbox, shard);
    if (b != null) b.log();
  }

  public static void failed(PoolKey pool, String sandbox, String reason, int shard) {
    LoggingEventBuilder b = line("sandbox failed", "failed", pool, sandbox, shard);
    if (b != null) Lines.kv(b, "reason", reason).log();
  }

  public static void deleted(PoolKey pool, String sandbox, int shard) {
    LoggingEventBuilder b = line("sandbox deleted", "deleted", pool, sandbox, shard);
    if (b != null) b.log();
  }

  private static LoggingEventBuilder line(
      String message, String event, PoolKey pool, String sandbox, int shard) {
    LoggingEventBuilder b = Lines.info(LOG, BUDGET);
    if (b == null) return null;
    return b.setMessage(message)
        .addKeyValue("event", event)
        .addKeyValue("pool", pool.toString())
        .addKeyValue("sandbox", sandbox)
        .addKeyValue("shard", shard)
        .addKeyValue("replica", Lines.REPLICA);
  }
}
