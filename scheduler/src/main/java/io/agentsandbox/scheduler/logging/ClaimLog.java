package io.agentsandbox.scheduler.logging;

import io.agentsandbox.core.logging.LogBudget;
import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.ClaimRequest;
import io.agentsandbox.core.model.ClaimTicket;
import io.agentsandbox.warmpool.ClaimView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * One INFO line per claim decision, on logger {@value #LOGGER}: bound (warm or cold), waiting,
 * rejected (with its reason), released, expired (TTL) and lost (its sandbox died). Stable fields:
 * {@code claim_id}, {@code tenant}, {@code pool}, {@code outcome}, {@code launch_type}, {@code
 * sandbox}, {@code waited_ms} (arrival to binding), {@code durable_ms} (arrival to the
 * acknowledgement, after the binding is durable), {@code held_ms}, {@code reason}, {@code shard},
 * {@code replica}, {@code trace_id}. Bounded by the {@code claims} {@link LogBudget}. Called on the
 * shard's loop (or the HTTP loop for a claim refused before it reached a shard); stateless.
 */
public final class ClaimLog {

  /** The logger's name; its level decides whether claims are logged. */
  public static final String LOGGER = "io.agentsandbox.claims";

  private static final Logger LOG = LoggerFactory.getLogger(LOGGER);
  private static final LogBudget BUDGET = LogBudget.named("claims");

  private ClaimLog() {}

  /** The claim's binding is acknowledged (durable). */
  public static void bound(ClaimTicket ticket, ClaimOutcome.Assigned a, int shard, long nowNs) {
    LoggingEventBuilder b = Lines.info(LOG, BUDGET);
    if (b == null) return;
    ClaimRequest r = ticket.request();
    common(b.setMessage("claim bound"), r, "bound", shard, ticket.traceId())
        .addKeyValue("launch_type", a.launchType().name().toLowerCase(java.util.Locale.ROOT))
        .addKeyValue("sandbox", a.sandbox().name())
        .addKeyValue("waited_ms", Lines.ms(a.waitedNs()))
        .addKeyValue("durable_ms", Lines.ms(nowNs - r.receivedAtNs()))
        .log();
  }

  /** The claim waits for a warm sandbox, or for the one started for it ({@code cold}). */
  public static void waiting(ClaimTicket ticket, boolean cold, int shard) {
    LoggingEventBuilder b = Lines.info(LOG, BUDGET);
    if (b == null) return;
    common(b.setMessage("claim waiting"), ticket.request(), "waiting", shard, ticket.traceId())
        .addKeyValue("launch_type", cold ? "cold" : "warm")
        .addKeyValue("wait_limit_ms", Lines.ms(ticket.request().waitNs()))
        .log();
  }

  /** The claim was turned away; {@code shard} is -1 when it never reached one. */
  public static void rejected(
      ClaimRequest r, String traceId, ClaimOutcome.Rejected rejected, int shard, long nowNs) {
    LoggingEventBuilder b = Lines.info(LOG, BUDGET);
    if (b == null) return;
    common(b.setMessage("claim rejected"), r, "rejected", shard, traceId)
        .addKeyValue("reason", rejected.reason().code())
        .addKeyValue("detail", rejected.message())
        .addKeyValue("waited_ms", Lines.ms(nowNs - r.receivedAtNs()))
        .log();
  }

  /** A bound claim ended: released by its holder, or expired by its TTL. */
  public static void released(
      ClaimRequest r, ClaimOutcome.Assigned a, boolean byTtl, int shard, long nowNs) {
    LoggingEventBuilder b = Lines.info(LOG, BUDGET);
    if (b == null) return;
    String outcome = byTtl ? "expired" : "released";
    common(b.setMessage("claim " + outcome), r, outcome, shard, null);
    if (a != null) {
      b.addKeyValue("sandbox", a.sandbox().name())
          .addKeyValue("held_ms", Lines.ms(nowNs - r.receivedAtNs() - a.waitedNs()));
    }
    b.log();
  }

  /** A bound claim's sandbox died. */
  public static void lost(ClaimView view, int shard) {
    LoggingEventBuilder b = Lines.info(LOG, BUDGET);
    if (b == null) return;
    common(b.setMessage("claim lost its sandbox"), view.request(), "lost", shard, null)
        .addKeyValue("sandbox", view.assignment().sandbox().name())
        .addKeyValue("reason", view.lost().reason())
        .log();
  }

  private static LoggingEventBuilder common(
      LoggingEventBuilder b, ClaimRequest r, String outcome, int shard, String traceId) {
    b.addKeyValue("claim_id", r.claimId())
        .addKeyValue("tenant", r.tenant())
        .addKeyValue("pool", r.pool().toString())
        .addKeyValue("outcome", outcome);
    if (shard >= 0) b.addKeyValue("shard", shard);
    b.addKeyValue("replica", Lines.REPLICA);
    return Lines.kv(b, "trace_id", traceId);
  }
}
