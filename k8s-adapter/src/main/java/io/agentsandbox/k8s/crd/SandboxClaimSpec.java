package io.agentsandbox.k8s.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import java.util.List;

/**
 * {@code SandboxClaim.spec}. Mutable JSON bean.
 *
 * <p>Our additions (wait deadline, on-empty policy, tenant, priority) are annotations, not fields,
 * so a claim stays valid for upstream's CRD: see {@link AgentSandboxAnnotations}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({
  "warmPoolRef",
  "lifecycle",
  "additionalPodMetadata",
  "env",
  "volumeClaimTemplates"
})
public class SandboxClaimSpec {

  @Required private LocalObjectRef warmPoolRef;
  private Lifecycle lifecycle;
  private PodMetadata additionalPodMetadata;
  private List<EnvVar> env;
  private List<PersistentVolumeClaimTemplate> volumeClaimTemplates;

  /** The pool to check a sandbox out from (required); the template is resolved through it. */
  public LocalObjectRef getWarmPoolRef() {
    return warmPoolRef;
  }

  public void setWarmPoolRef(LocalObjectRef warmPoolRef) {
    this.warmPoolRef = warmPoolRef;
  }

  public Lifecycle getLifecycle() {
    return lifecycle;
  }

  public void setLifecycle(Lifecycle lifecycle) {
    this.lifecycle = lifecycle;
  }

  /** Merged into the sandbox's pod template metadata (label domains allow-listed). */
  public PodMetadata getAdditionalPodMetadata() {
    return additionalPodMetadata;
  }

  public void setAdditionalPodMetadata(PodMetadata additionalPodMetadata) {
    this.additionalPodMetadata = additionalPodMetadata;
  }

  /** Environment to inject; forces a cold start. */
  public List<EnvVar> getEnv() {
    return env;
  }

  public void setEnv(List<EnvVar> env) {
    this.env = env;
  }

  /** Extra volume claim templates; forces a cold start. */
  public List<PersistentVolumeClaimTemplate> getVolumeClaimTemplates() {
    return volumeClaimTemplates;
  }

  public void setVolumeClaimTemplates(List<PersistentVolumeClaimTemplate> volumeClaimTemplates) {
    this.volumeClaimTemplates = volumeClaimTemplates;
  }

  /** {@code spec.lifecycle}: claim expiry. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonPropertyOrder({"shutdownTime", "ttlSecondsAfterFinished", "shutdownPolicy"})
  public static class Lifecycle {
    private String shutdownTime;

    @Min(0)
    private Integer ttlSecondsAfterFinished;

    @Default("Retain")
    private ClaimShutdownPolicy shutdownPolicy;

    /** Absolute claim expiry (RFC 3339); not copied to the Sandbox. */
    public String getShutdownTime() {
      return shutdownTime;
    }

    public void setShutdownTime(String shutdownTime) {
      this.shutdownTime = shutdownTime;
    }

    /** Expire this long after the sandbox's {@code Finished} condition; at least 0. */
    public Integer getTtlSecondsAfterFinished() {
      return ttlSecondsAfterFinished;
    }

    public void setTtlSecondsAfterFinished(Integer ttlSecondsAfterFinished) {
      this.ttlSecondsAfterFinished = ttlSecondsAfterFinished;
    }

    public ClaimShutdownPolicy getShutdownPolicy() {
      return shutdownPolicy;
    }

    public void setShutdownPolicy(ClaimShutdownPolicy shutdownPolicy) {
      this.shutdownPolicy = shutdownPolicy;
    }
  }

  /** One {@code spec.env} entry; without {@code containerName} it goes to the first container. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonPropertyOrder({"name", "value", "containerName"})
  public static class EnvVar {
    @Required private String name;
    private String value;
    private String containerName;

    public EnvVar() {}

    public EnvVar(String name, String value) {
      this.name = name;
      this.value = value;
    }

    public String getName() {
      return name;
    }

    public void setName(String name) {
      this.name = name;
    }

    public String getValue() {
      return value;
    }

    public void setValue(String value) {
      this.value = value;
    }

    public String getContainerName() {
      return containerName;
    }

    public void setContainerName(String containerName) {
      this.containerName = containerName;
    }
  }
}
