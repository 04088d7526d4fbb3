package io.agentsandbox.warmpool;

import io.agentsandbox.core.model.Autoscale;
import io.agentsandbox.core.model.PoolSpec;

/**
 * The unclaimed stock one pool aims at: {@code spec.replicas}, or with {@code autoscale} the
 * Poisson quantile of the demand over one lead time, clamped, raised at once and lowered slowly.
 * Owns the pool's demand and lead-time estimators. Owned by the pool's owner thread; not
 * thread-safe; pure: time comes in as arguments.
 */
final class TargetController {

  private final SizingPolicy sizing;
  private final DemandEstimator demand;
  private final LeadTimeEstimator leadTime;
  private int target;
  private TargetReason reason = TargetReason.STATIC_REPLICAS;
  private boolean autoTargetSet;
  private long lastWantedAtOrAboveNs;
  private long lastLoweredNs;
  private double publishedDemandPerSecond;

  TargetController(SizingPolicy sizing, PoolSpec spec) {
    this.sizing = sizing;
    this.demand = new DemandEstimator(sizing.shortWindowNs(), sizing.longWindowNs());
    this.leadTime = new LeadTimeEstimator(sizing.leadTimeSeedNs(spec.runtimeClass()));
    this.target = spec.replicas();
  }

  /** A claim arrived. */
  void onArrival(long nowNs) {
    demand.onArrival(nowNs);
  }

  /** A sandbox became ready {@code leadTimeNs} after it was asked for. */
  void onLeadTimeObserved(long leadTimeNs) {
    leadTime.onObserved(leadTimeNs);
  }

  int target() {
    return target;
  }

  TargetReason reason() {
    return reason;
  }

  /** The demand estimate used for sizing, claims per second. */
  double demandPerSecond(long nowNs) {
    return demand.ratePerSecond(nowNs);
  }

  /** The p90 time from create to ready (seeded until observed). */
  long leadTimeP90Ns() {
    return leadTime.p90Ns();
  }

  /** Takes the demand estimate as of {@code nowNs} for {@link #publishedDemandPerSecond}. */
  void snapshotDemand(long nowNs) {
    publishedDemandPerSecond = demand.ratePerSecond(nowNs);
  }

  /** The demand estimate as of the last {@link #snapshotDemand}. */
  double publishedDemandPerSecond() {
    return publishedDemandPerSecond;
  }

  /** Moves the target towards what the spec and the demand want now. */
  void update(PoolSpec spec, long nowNs) {
    Autoscale autoscale = spec.autoscale();
    if (autoscale == null) {
      target = spec.replicas();
      reason = TargetReason.STATIC_REPLICAS;
      return;
    }
    double mean = demand.ratePerSecond(nowNs) * (leadTime.p90Ns() / 1e9);
    int wanted = TargetRule.poissonQuantile(mean, autoscale.confidence());
    TargetReason why = TargetReason.DEMAND;
    if (wanted < autoscale.minReplicas()) {
      wanted = autoscale.minReplicas();
      why = TargetReason.MIN_REPLICAS;
    } else if (wanted > autoscale.maxReplicas()) {
      wanted = autoscale.maxReplicas();
      why = TargetReason.MAX_REPLICAS;
    }
    if (!autoTargetSet) {
      // Start from spec.replicas (clamped) and move from there like any other target.
      autoTargetSet = true;
      target =
          Math.max(autoscale.minReplicas(), Math.min(autoscale.maxReplicas(), spec.replicas()));
      lastWantedAtOrAboveNs = nowNs;
    }
    if (wanted >= target) {
      target = wanted;
      reason = why;
      lastWantedAtOrAboveNs = nowNs;
      return;
    }
    // NOTE: scale down slowly: only after demand has stayed clearly below (under 90 % of the
    // target) for the delay, then one step per period, a tenth at a time. Noise near the target
    // holds it.
    if (wanted * 10L >= target * 9L) lastWantedAtOrAboveNs = nowNs;
    reason = TargetReason.SCALING_DOWN_SLOWLY;
    if (nowNs - lastWantedAtOrAboveNs >= sizing.scaleDownDelayNs()
        && nowNs - lastLoweredNs >= sizing.scaleDownStepNs()) {
      target = Math.max(wanted, target - Math.max(1, target / 10));
      lastLoweredNs = nowNs;
      if (target == wanted) reason = why;
    }
  }
}
