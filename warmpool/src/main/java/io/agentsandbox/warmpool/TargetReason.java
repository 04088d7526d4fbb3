package io.agentsandbox.warmpool;

/** Why a pool's target is what it is; shown in pool status and metrics. */
public enum TargetReason {
  /** No autoscaling: the target is {@code spec.replicas}, as upstream. */
  STATIC_REPLICAS("static_replicas"),
  /** Demand x lead time at the configured confidence. */
  DEMAND("demand"),
  /** Demand asks for less than the minimum. */
  MIN_REPLICAS("min_replicas"),
  /** Demand asks for more than the maximum. */
  MAX_REPLICAS("max_replicas"),
  /** Demand asks for less, but the target waits out the scale-down delay or steps down slowly. */
  SCALING_DOWN_SLOWLY("scaling_down_slowly");

  private final String code;

  TargetReason(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }
}
