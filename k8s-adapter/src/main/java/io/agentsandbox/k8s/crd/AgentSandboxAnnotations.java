package io.agentsandbox.k8s.crd;

/**
 * Our additions to upstream's API, carried as annotations (not schema fields) so that the same YAML
 * applies unchanged to an upstream cluster and upstream SDKs never see unknown fields. The API
 * server cannot validate annotations; the controllers validate them when they read an object and
 * report a bad value in the object's {@code Ready} condition (reason {@code InvalidAnnotation}).
 * Stateless.
 *
 * <p>On a {@code SandboxClaim}: {@link #WAIT_MS}, {@link #ON_EMPTY}, {@link #TENANT}, {@link
 * #PRIORITY}. On a {@code SandboxWarmPool}: {@link #MIN_REPLICAS}, {@link #MAX_REPLICAS}, {@link
 * #MAX_CLAIMS_PER_TENANT}. On a {@code SandboxTemplate} or {@code Sandbox}: {@link #AGENT}.
 * Defaults and ranges are those of the HTTP claim API ({@code README.md}).
 */
public final class AgentSandboxAnnotations {

  /** Prefix of every key of ours. */
  public static final String PREFIX = "agentsandbox.io/";

  /** Claim: how long to wait for a warm sandbox, in ms (decimal, 0..300000; default 10000). */
  public static final String WAIT_MS = PREFIX + "wait-ms";

  /** Claim: no ready sandbox: {@code wait} (default), {@code cold} or {@code reject}. */
  public static final String ON_EMPTY = PREFIX + "on-empty";

  /** Claim: the tenant, the unit of fairness and quotas (default {@code default}). */
  public static final String TENANT = PREFIX + "tenant";

  /** Claim: priority, -1000..1000 (default 0); higher is served first. */
  public static final String PRIORITY = PREFIX + "priority";

  /** Pool: lower bound of the demand-driven warm target (default {@code spec.replicas}). */
  public static final String MIN_REPLICAS = PREFIX + "min-replicas";

  /** Pool: upper bound of the demand-driven warm target (default {@code spec.replicas}). */
  public static final String MAX_REPLICAS = PREFIX + "max-replicas";

  /** Pool: cap on one tenant's concurrent claims (same key the scheduler's YAML loader reads). */
  public static final String MAX_CLAIMS_PER_TENANT = PREFIX + "max-claims-per-tenant";

  /**
   * SandboxTemplate, Sandbox or pod template: {@code "false"} keeps the in-sandbox agent out of the
   * pod, {@code "true"} asks for it when the server does not inject by default.
   */
  public static final String AGENT = PREFIX + "agent";

  private AgentSandboxAnnotations() {}
}
