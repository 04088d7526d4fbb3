package io.agentsandbox.k8s.crd;

/** Condition types and reasons of a Sandbox's status, as upstream writes them. Stateless. */
public final class SandboxConditions {

  public static final String READY = "Ready";
  public static final String SUSPENDED = "Suspended";
  public static final String POD_SCHEDULED = "PodScheduled";
  public static final String FINISHED = "Finished";

  /** Ready=True: pod Running, PodReady=True, at least one IP, the Service exists when required. */
  public static final String REASON_DEPENDENCIES_READY = "DependenciesReady";

  public static final String REASON_DEPENDENCIES_NOT_READY = "DependenciesNotReady";
  public static final String REASON_SANDBOX_SUSPENDED = "SandboxSuspended";
  public static final String REASON_POD_SUCCEEDED = "PodSucceeded";
  public static final String REASON_POD_FAILED = "PodFailed";
  public static final String REASON_SANDBOX_EXPIRED = "SandboxExpired";
  public static final String REASON_MULTIPLE_PODS = "MultiplePods";
  public static final String REASON_RECONCILER_ERROR = "ReconcilerError";

  public static final String REASON_POD_TERMINATED = "PodTerminated";
  public static final String REASON_NOT_SUSPENDED = "NotSuspended";
  public static final String REASON_POD_TERMINATING = "PodTerminating";
  public static final String REASON_POD_NOT_OWNED = "PodNotOwned";
  public static final String REASON_POD_STATE_UNKNOWN = "PodStateUnknown";

  public static final String REASON_POD_SCHEDULED = "PodScheduled";
  public static final String REASON_POD_SCHEDULING_UNKNOWN = "PodSchedulingUnknown";

  private SandboxConditions() {}
}
