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
 * {@code extensions.agents.x-k8s.io/v1beta1 SandboxWarmPool}: keeps {@code spec.replicas} unclaimed
 * sandboxes of a template. Status subresource and a {@code /scale} subresource over {@code
 * spec.replicas} / {@code status.replicas} / {@code status.selector} (HPA, KEDA).
 *
 * <p>Mutable fabric8 resource: never change an instance that came from an informer cache.
 */
@Group(SandboxWarmPool.GROUP)
@Version(value = SandboxWarmPool.VERSION, storage = true, served = true)
@Kind("SandboxWarmPool")
@Plural("sandboxwarmpools")
@Singular("sandboxwarmpool")
@ShortNames("swp")
@AdditionalPrinterColumn(
    name = "Ready",
    type = AdditionalPrinterColumn.Type.INTEGER,
    jsonPath = ".status.readyReplicas")
@AdditionalPrinterColumn(
    name = "Desired",
    type = AdditionalPrinterColumn.Type.INTEGER,
    jsonPath = ".spec.replicas")
@AdditionalPrinterColumn(
    name = "Age",
    type = AdditionalPrinterColumn.Type.DATE,
    jsonPath = ".metadata.creationTimestamp")
public class SandboxWarmPool extends CustomResource<SandboxWarmPoolSpec, SandboxWarmPoolStatus>
    implements Namespaced {

  /** {@code extensions.agents.x-k8s.io}. */
  public static final String GROUP = "extensions.agents.x-k8s.io";

  /** {@code v1beta1}. */
  public static final String VERSION = "v1beta1";

  /** {@code sandboxwarmpools.extensions.agents.x-k8s.io}. */
  public static final String CRD_NAME = "sandboxwarmpools." + GROUP;
}
