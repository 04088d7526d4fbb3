package io.agentsandbox.k8s.backend;

import io.agentsandbox.core.model.Autoscale;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxBlueprint;
import io.agentsandbox.k8s.crd.AgentSandboxAnnotations;
import io.agentsandbox.k8s.crd.SandboxTemplate;
import io.agentsandbox.k8s.crd.SandboxWarmPool;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Pure mapping: a {@code SandboxWarmPool} resolved against its {@code SandboxTemplate} → {@link
 * PoolSpec}. Stateless.
 */
public final class PoolSpecs {

  private PoolSpecs() {}

  /**
   * @throws IllegalArgumentException naming what is wrong (no container, bad annotation, ...)
   */
  public static PoolSpec toSpec(SandboxWarmPool pool, SandboxTemplate template) {
    String ns = pool.getMetadata().getNamespace();
    PoolKey key = new PoolKey(ns, pool.getMetadata().getName());
    if (template.getSpec() == null
        || template.getSpec().getPodTemplate() == null
        || template.getSpec().getPodTemplate().getSpec() == null) {
      throw new IllegalArgumentException(
          "template " + ns + "/" + template.getMetadata().getName() + " has no podTemplate.spec");
    }
    PodSpec ps = template.getSpec().getPodTemplate().getSpec();
    if (ps.getContainers() == null || ps.getContainers().isEmpty()) {
      throw new IllegalArgumentException(
          "template " + ns + "/" + template.getMetadata().getName() + " has no container");
    }
    Container c = ps.getContainers().get(0);
    Map<String, String> env = new LinkedHashMap<>();
    if (c.getEnv() != null) {
      for (EnvVar e : c.getEnv()) if (e.getValue() != null) env.put(e.getName(), e.getValue());
    }
    long cpuMillis = 0;
    long memory = 0;
    if (c.getResources() != null && c.getResources().getLimits() != null) {
      Quantity cpu = c.getResources().getLimits().get("cpu");
      Quantity mem = c.getResources().getLimits().get("memory");
      if (cpu != null)
        cpuMillis = Quantity.getAmountInBytes(cpu).multiply(BigDecimal.valueOf(1000)).longValue();
      if (mem != null) memory = Quantity.getAmountInBytes(mem).longValue();
    }
    SandboxBlueprint blueprint =
        new SandboxBlueprint(
            template.getMetadata().getName(),
            RuntimeClass.of(ps.getRuntimeClassName()),
            c.getImage(),
            c.getCommand(),
            c.getArgs(),
            env,
            cpuMillis,
            memory);
    int replicas =
        pool.getSpec() == null || pool.getSpec().getReplicas() == null
            ? 1
            : pool.getSpec().getReplicas();
    Map<String, String> ann =
        pool.getMetadata().getAnnotations() == null
            ? Map.of()
            : pool.getMetadata().getAnnotations();
    int maxClaims = intAnnotation(ann, AgentSandboxAnnotations.MAX_CLAIMS_PER_TENANT, 0);
    Autoscale autoscale = null;
    if (ann.containsKey(AgentSandboxAnnotations.MIN_REPLICAS)
        || ann.containsKey(AgentSandboxAnnotations.MAX_REPLICAS)) {
      int min = intAnnotation(ann, AgentSandboxAnnotations.MIN_REPLICAS, replicas);
      int max = intAnnotation(ann, AgentSandboxAnnotations.MAX_REPLICAS, Math.max(min, replicas));
      autoscale = new Autoscale(min, max, Autoscale.DEFAULT_CONFIDENCE);
    }
    return new PoolSpec(key, blueprint, replicas, maxClaims, autoscale);
  }

  static int intAnnotation(Map<String, String> ann, String key, int dflt) {
    String v = ann.get(key);
    if (v == null) return dflt;
    try {
      int n = Integer.parseInt(v.trim());
      if (n < 0) throw new NumberFormatException();
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "annotation " + key + " must be a non-negative integer: '" + v + "'");
    }
  }
}
