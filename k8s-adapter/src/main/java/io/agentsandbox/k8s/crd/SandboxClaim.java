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
 * {@code extensions.agents.x-k8s.io/v1beta1 SandboxClaim}: take a sandbox from a warm pool (or
 * start one cold). Status subresource.
 *
 * <p>Mutable fabric8 resource: never change an instance that came from an informer cache.
 */
@Group(SandboxClaim.GROUP)
@Version(value = SandboxClaim.VERSION, storage = true, served = true)
@Kind("SandboxClaim")
@Plural("sandboxclaims")
@Singular("sandboxclaim")
@ShortNames("sandboxclaim")
@AdditionalPrinterColumn(
    name = "Ready",
    type = AdditionalPrinterColumn.Type.STRING,
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(
    name = "Sandbox",
    type = AdditionalPrinterColumn.Type.STRING,
    jsonPath = ".status.sandbox.name")
@AdditionalPrinterColumn(
    name = "Reason",
    type = AdditionalPrinterColumn.Type.STRING,
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason")
@AdditionalPrinterColumn(
    name = "Age",
    type = AdditionalPrinterColumn.Type.DATE,
    jsonPath = ".metadata.creationTimestamp")
public class SandboxClaim extends CustomResource<SandboxClaimSpec, SandboxClaimStatus>
    implements Namespaced {

  /** {@code extensions.agents.x-k8s.io}. */
  public static final String GROUP = "extensions.agents.x-k8s.io";

  /** {@code v1beta1}. */
  public static final String VERSION = "v1beta1";

  /** {@code sandboxclaims.extensions.agents.x-k8s.io}. */
  public static final String CRD_NAME = "sandboxclaims." + GROUP;
}
