package io.agentsandbox.k8s.testing;

import io.agentsandbox.k8s.crd.LocalObjectRef;
import io.agentsandbox.k8s.crd.PodTemplate;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.crd.SandboxClaimSpec;
import io.agentsandbox.k8s.crd.SandboxTemplate;
import io.agentsandbox.k8s.crd.SandboxTemplateSpec;
import io.agentsandbox.k8s.crd.SandboxWarmPool;
import io.agentsandbox.k8s.crd.SandboxWarmPoolSpec;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Pools and claims on a test control plane, as the ITs of this module and of the scheduler set them
 * up: create, then wait (bounded) for what the controllers write. Stateless.
 */
public final class ClusterFixtures {

  private ClusterFixtures() {}

  /**
   * Creates (or updates) the CRD of {@code file} in {@code crds/} (system property {@code
   * agentsandbox.crds.dir}): fabric8's mock server honours the status subresource only once the CRD
   * object exists. createOr(update): on a loaded machine the client may retry a slow POST that did
   * succeed.
   */
  public static void installCrd(KubernetesClient c, String file) {
    Path crd = Path.of(System.getProperty("agentsandbox.crds.dir", "../crds"), file);
    CustomResourceDefinition def =
        c.apiextensions().v1().customResourceDefinitions().load(crd.toFile()).item();
    c.apiextensions()
        .v1()
        .customResourceDefinitions()
        .resource(def)
        .createOr(NonDeletingOperation::update);
  }

  /**
   * A SandboxTemplate {@code template} (one sleeping python container) and a SandboxWarmPool of
   * {@code replicas} on it.
   */
  public static void createTemplateAndPool(
      KubernetesClient c, String ns, String template, String pool, int replicas) {
    createTemplateAndPool(
        c,
        ns,
        template,
        pool,
        replicas,
        new PodSpecBuilder()
            .withContainers(
                new ContainerBuilder()
                    .withName("sandbox")
                    .withImage("python:3.12-slim")
                    .withCommand("sleep", "infinity")
                    .build())
            .build());
  }

  /**
   * A SandboxTemplate {@code template} whose pods get {@code podSpec}, and a SandboxWarmPool of
   * {@code replicas} on it.
   */
  public static void createTemplateAndPool(
      KubernetesClient c, String ns, String template, String pool, int replicas, PodSpec podSpec) {
    SandboxTemplateSpec ts = new SandboxTemplateSpec();
    ts.setPodTemplate(new PodTemplate(null, podSpec));
    SandboxTemplate t = new SandboxTemplate();
    t.setMetadata(new ObjectMetaBuilder().withName(template).withNamespace(ns).build());
    t.setSpec(ts);
    c.resources(SandboxTemplate.class).inNamespace(ns).resource(t).create();
    SandboxWarmPoolSpec ps = new SandboxWarmPoolSpec();
    ps.setReplicas(replicas);
    ps.setSandboxTemplateRef(new LocalObjectRef(template));
    SandboxWarmPool p = new SandboxWarmPool();
    p.setMetadata(new ObjectMetaBuilder().withName(pool).withNamespace(ns).build());
    p.setSpec(ps);
    c.resources(SandboxWarmPool.class).inNamespace(ns).resource(p).create();
  }

  /** Waits (bounded) until the pool reports at least {@code ready} Ready replicas. */
  public static void awaitPoolReady(KubernetesClient c, String ns, String pool, int ready) {
    c.resources(SandboxWarmPool.class)
        .inNamespace(ns)
        .withName(pool)
        .waitUntilCondition(
            p ->
                p != null
                    && p.getStatus() != null
                    && p.getStatus().getReadyReplicas() != null
                    && p.getStatus().getReadyReplicas() >= ready,
            180,
            TimeUnit.SECONDS);
  }

  /** An upstream-style SandboxClaim on {@code pool} (warmPoolRef), not yet created. */
  public static SandboxClaim claim(String ns, String name, String pool) {
    SandboxClaimSpec spec = new SandboxClaimSpec();
    spec.setWarmPoolRef(new LocalObjectRef(pool));
    SandboxClaim cl = new SandboxClaim();
    cl.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
    cl.setSpec(spec);
    return cl;
  }

  /**
   * Waits (bounded) until the claim names its sandbox and is Ready, then until that Sandbox is
   * adopted by the claim (the adoption follows the binding off the claim's critical path); the
   * assertion error shows the claim.
   */
  public static SandboxClaim awaitBound(KubernetesClient c, String ns, String name) {
    try {
      return awaitBound0(c, ns, name);
    } catch (KubernetesClientException e) {
      throw new AssertionError(
          "claim "
              + name
              + " not bound: "
              + c.resources(SandboxClaim.class).inNamespace(ns).withName(name).get(),
          e);
    }
  }

  private static SandboxClaim awaitBound0(KubernetesClient c, String ns, String name) {
    SandboxClaim bound = awaitStatusBound(c, ns, name);
    awaitAdopted(c, ns, bound.getStatus().getSandbox().getName(), bound.getMetadata().getUid());
    return bound;
  }

  /** Waits (bounded) until the Sandbox {@code name}'s controller is the claim {@code claimUid}. */
  public static Sandbox awaitAdopted(KubernetesClient c, String ns, String name, String claimUid) {
    return c.resources(Sandbox.class)
        .inNamespace(ns)
        .withName(name)
        .waitUntilCondition(
            s -> {
              OwnerReference ctl = s == null ? null : controllerOf(s);
              return ctl != null
                  && "SandboxClaim".equals(ctl.getKind())
                  && claimUid.equals(ctl.getUid());
            },
            120,
            TimeUnit.SECONDS);
  }

  /** Waits (bounded) until the claim's status names its sandbox and is Ready (the binding). */
  public static SandboxClaim awaitStatusBound(KubernetesClient c, String ns, String name) {
    return c.resources(SandboxClaim.class)
        .inNamespace(ns)
        .withName(name)
        .waitUntilCondition(
            x ->
                x != null
                    && x.getStatus() != null
                    && x.getStatus().getSandbox() != null
                    && x.getStatus().getSandbox().getName() != null
                    && "True".equals(readyStatus(x.getStatus().getConditions())),
            120,
            TimeUnit.SECONDS);
  }

  /** The status of the {@code Ready} condition, or null. */
  public static String readyStatus(List<Condition> conditions) {
    if (conditions == null) return null;
    return conditions.stream()
        .filter(k -> "Ready".equals(k.getType()))
        .map(Condition::getStatus)
        .findFirst()
        .orElse(null);
  }

  /** The controller owner reference of {@code s}, or null. */
  public static OwnerReference controllerOf(Sandbox s) {
    if (s.getMetadata().getOwnerReferences() == null) return null;
    return s.getMetadata().getOwnerReferences().stream()
        .filter(o -> Boolean.TRUE.equals(o.getController()))
        .findFirst()
        .orElse(null);
  }
}
