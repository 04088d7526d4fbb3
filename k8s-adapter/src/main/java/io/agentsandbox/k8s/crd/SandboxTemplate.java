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
 * {@code extensions.agents.x-k8s.io/v1beta1 SandboxTemplate}: a reusable sandbox blueprint. Has no
 * status at all (so no status subresource), as upstream.
 *
 * <p>Mutable fabric8 resource: never change an instance that came from an informer cache.
 */
@Group(SandboxTemplate.GROUP)
@Version(value = SandboxTemplate.VERSION, storage = true, served = true)
@Kind("SandboxTemplate")
@Plural("sandboxtemplates")
@Singular("sandboxtemplate")
@ShortNames("sandboxtemplate")
@AdditionalPrinterColumn(
    name = "Age",
    type = AdditionalPrinterColumn.Type.DATE,
    jsonPath = ".metadata.creationTimestamp")
public class SandboxTemplate extends CustomResource<SandboxTemplateSpec, Void>
    implements Namespaced {

  /** {@code extensions.agents.x-k8s.io}. */
  public static final String GROUP = "extensions.agents.x-k8s.io";

  /** {@code v1beta1}. */
  public static final String VERSION = "v1beta1";

  /** {@code sandboxtemplates.extensions.agents.x-k8s.io}. */
  public static final String CRD_NAME = "sandboxtemplates." + GROUP;
}
