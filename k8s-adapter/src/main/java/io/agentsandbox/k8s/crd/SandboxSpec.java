package io.agentsandbox.k8s.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.generator.annotation.Default;

/**
 * {@code Sandbox.spec} (agents.x-k8s.io/v1beta1): the blueprint plus expiry and suspend/resume.
 * Mutable JSON bean.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({
  "podTemplate",
  "volumeClaimTemplates",
  "service",
  "shutdownTime",
  "shutdownPolicy",
  "operatingMode"
})
public class SandboxSpec extends SandboxBlueprintSpec {

  private String shutdownTime;

  @Default("Retain")
  private ShutdownPolicy shutdownPolicy;

  @Default("Running")
  private OperatingMode operatingMode;

  /** Absolute expiry (RFC 3339); null means never. */
  public String getShutdownTime() {
    return shutdownTime;
  }

  public void setShutdownTime(String shutdownTime) {
    this.shutdownTime = shutdownTime;
  }

  /** What expiry does; the API server defaults it to {@code Retain}. */
  public ShutdownPolicy getShutdownPolicy() {
    return shutdownPolicy;
  }

  public void setShutdownPolicy(ShutdownPolicy shutdownPolicy) {
    this.shutdownPolicy = shutdownPolicy;
  }

  /** {@code Running} (the API server's default) or {@code Suspended}. */
  public OperatingMode getOperatingMode() {
    return operatingMode;
  }

  public void setOperatingMode(OperatingMode operatingMode) {
    this.operatingMode = operatingMode;
  }
}
