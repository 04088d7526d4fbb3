package io.agentsandbox.k8s.client;

import io.agentsandbox.core.logging.LogBudget;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * API-server writes that failed and will be retried, one INFO line each on logger {@value #LOGGER}:
 * fields {@code kind}, {@code object} (namespace/name), {@code status} (the HTTP status, 409 for a
 * conflict), {@code detail}, {@code retry} (what retries it). Bounded by the {@code conflicts}
 * {@link LogBudget}; the lines it drops are counted and reported. Any thread; stateless.
 */
public final class WriteLog {

  /** The logger's name. */
  public static final String LOGGER = "io.agentsandbox.conflicts";

  private static final Logger LOG = LoggerFactory.getLogger(LOGGER);
  private static final LogBudget BUDGET = LogBudget.named("conflicts");

  private WriteLog() {}

  /**
   * A write of {@code kind} {@code object} was refused with {@code e}; {@code retry} says how it is
   * retried.
   */
  public static void retried(
      String kind, String object, KubernetesClientException e, String retry) {
    if (!LOG.isInfoEnabled() || !BUDGET.tryAcquire()) return;
    long dropped = BUDGET.takeDropped();
    if (dropped > 0) {
      LOG.atWarn()
          .setMessage("log lines dropped")
          .addKeyValue("category", BUDGET.category())
          .addKeyValue("dropped", dropped)
          .addKeyValue("limit_per_second", BUDGET.limitPerSecond())
          .log();
    }
    LOG.atInfo()
        .setMessage(e.getCode() == 409 ? "write conflict, retrying" : "write failed, retrying")
        .addKeyValue("kind", kind)
        .addKeyValue("object", object)
        .addKeyValue("status", e.getCode())
        .addKeyValue(
            "detail",
            String.valueOf(e.getStatus() == null ? e.getMessage() : e.getStatus().getMessage()))
        .addKeyValue("retry", retry)
        .log();
  }
}
