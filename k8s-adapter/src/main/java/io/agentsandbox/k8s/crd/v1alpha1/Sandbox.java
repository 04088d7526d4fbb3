package io.agentsandbox.k8s.crd.v1alpha1;

import io.agentsandbox.k8s.crd.SandboxStatus;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * {@code agents.x-k8s.io/v1alpha1 Sandbox}: served, deprecated, not stored, so that the seed
 * documents' YAML ({@code spec.podTemplate} with {@code runtimeClassName}) applies as written.
 *
 * <p>The CRD uses conversion strategy {@code None} (no webhook): the API server only rewrites
 * {@code apiVersion}. That is lossless because this version's schema is the v1beta1 shape ({@link
 * SandboxSpec} extends the v1beta1 spec) plus {@code replicas}, which may only be 1 here
 * (suspending through v1alpha1 {@code replicas: 0} is rejected by the schema; use v1beta1 {@code
 * operatingMode: Suspended}). The controllers only ever read v1beta1. Details: {@code
 * k8s-adapter/README.md}.
 */
@Group(io.agentsandbox.k8s.crd.Sandbox.GROUP)
@Version(
    value = Sandbox.VERSION,
    storage = false,
    served = true,
    deprecated = true,
    deprecationWarning =
        "agents.x-k8s.io/v1alpha1 Sandbox is deprecated; use agents.x-k8s.io/v1beta1 Sandbox")
@Kind("Sandbox")
@Plural("sandboxes")
@Singular("sandbox")
@ShortNames("sandbox")
@AdditionalPrinterColumn(
    name = "Ready",
    type = AdditionalPrinterColumn.Type.STRING,
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(
    name = "Reason",
    type = AdditionalPrinterColumn.Type.STRING,
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason")
@AdditionalPrinterColumn(
    name = "Age",
    type = AdditionalPrinterColumn.Type.DATE,
    jsonPath = ".metadata.creationTimestamp")
public class Sandbox extends CustomResource<SandboxSpec, SandboxStatus> implements Namespaced {

  /** {@code v1alpha1}. */
  public static final String VERSION = "v1alpha1";
}
