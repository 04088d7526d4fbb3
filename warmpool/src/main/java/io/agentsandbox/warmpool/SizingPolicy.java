package io.agentsandbox.warmpool;

import io.agentsandbox.core.model.RuntimeClass;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Knobs of demand-driven sizing, shared by every autoscaled pool. Immutable.
 *
 * @param shortWindowNs time constant of the fast demand estimate (sees a burst at once)
 * @param longWindowNs time constant of the slow demand estimate (does not over-trust a lull)
 * @param scaleDownDelayNs the target is lowered only after the computed target has stayed below it
 *     this long (hysteresis)
 * @param scaleDownStepNs at most one lowering step per this period, each by at most a tenth
 * @param leadTimeSeedMs lead time assumed per runtime class before enough observations: keys are
 *     class names, {@code default} for unset, {@code kata} for any Kata class, {@code *} for others
 */
public record SizingPolicy(
    long shortWindowNs,
    long longWindowNs,
    long scaleDownDelayNs,
    long scaleDownStepNs,
    Map<String, Long> leadTimeSeedMs) {

  /**
   * Windows of 5 s and 2 min; lower only after 2 min below (as long as the slow window remembers),
   * then a tenth per 10 s; seeds from the seed articles.
   */
  public static final SizingPolicy DEFAULTS =
      new SizingPolicy(
          TimeUnit.SECONDS.toNanos(5),
          TimeUnit.SECONDS.toNanos(120),
          TimeUnit.SECONDS.toNanos(120),
          TimeUnit.SECONDS.toNanos(10),
          Map.of("gvisor", 150L, "kata", 1_500L, "default", 300L, "*", 500L));

  public SizingPolicy {
    if (shortWindowNs <= 0 || longWindowNs < shortWindowNs) {
      throw new IllegalArgumentException("need 0 < shortWindowNs <= longWindowNs");
    }
    if (scaleDownDelayNs < 0 || scaleDownStepNs <= 0) {
      throw new IllegalArgumentException("need scaleDownDelayNs >= 0 and scaleDownStepNs > 0");
    }
    leadTimeSeedMs = Map.copyOf(leadTimeSeedMs);
  }

  /** This policy with other lead-time seeds (see {@link #leadTimeSeedMs}). */
  public SizingPolicy withLeadTimeSeedMs(Map<String, Long> seedMs) {
    return new SizingPolicy(shortWindowNs, longWindowNs, scaleDownDelayNs, scaleDownStepNs, seedMs);
  }

  /** The seeded lead time of a runtime class, in ns. */
  public long leadTimeSeedNs(RuntimeClass runtimeClass) {
    Long ms = leadTimeSeedMs.get(runtimeClass.isDefault() ? "default" : runtimeClass.name());
    if (ms == null && runtimeClass.isKata()) ms = leadTimeSeedMs.get("kata");
    if (ms == null) ms = leadTimeSeedMs.get("*");
    return TimeUnit.MILLISECONDS.toNanos(ms == null || ms <= 0 ? 500 : ms);
  }
}
