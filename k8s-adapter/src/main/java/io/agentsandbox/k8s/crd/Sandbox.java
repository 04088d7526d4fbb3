package io.agentsandbox.k8s.crd;

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
 * {@code agents.x-k8s.io/v1beta1 Sandbox}: one isolated, stateful pod with a stable name, optional
 * headless Service and PVCs. The storage version; the deprecated {@code v1alpha1} is served from
 * {@link io.agentsandbox.k8s.crd.v1alpha1.Sandbox} with conversion {@code None}.
 *
 * <p>Mutable fabric8 resource: never change an instance that came from an informer cache.
 */
@Group(Sandbox.GROUP)
@Version(value = Sandbox.VERSION, storage = true, served = true)
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

  /** {@code agents.x-k8s.io}. */
  public static final String GROUP = "agents.x-k8s.io";

  /** {@code v1beta1}. */
  public static final String VERSION = "v1beta1";

  /** {@code sandboxes.agents.x-k8s.io}, the CRD's name. */
  public static final String CRD_NAME = "sandboxes." + GROUP;
}
