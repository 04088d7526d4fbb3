package io.agentsandbox.k8s.reconcile;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;

/**
 * Controller owner references: the one an owner puts on what it controls, and finding it again.
 * Stateless; never mutates its input (objects may come from an informer cache).
 */
public final class ControllerRefs {

  private ControllerRefs() {}

  /**
   * The controller reference to {@code owner} ({@code controller} and {@code blockOwnerDeletion}
   * set), of the given API version and kind.
   */
  public static OwnerReference to(String apiVersion, String kind, HasMetadata owner) {
    return new OwnerReferenceBuilder()
        .withApiVersion(apiVersion)
        .withKind(kind)
        .withName(owner.getMetadata().getName())
        .withUid(owner.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }

  /** {@code obj}'s controller reference, or null when nothing controls it. */
  public static OwnerReference of(HasMetadata obj) {
    if (obj.getMetadata().getOwnerReferences() == null) return null;
    for (OwnerReference r : obj.getMetadata().getOwnerReferences()) {
      if (Boolean.TRUE.equals(r.getController())) return r;
    }
    return null;
  }

  /** True when {@code obj} (may be null) is controlled by {@code owner}, compared by UID. */
  public static boolean isControlledBy(HasMetadata obj, HasMetadata owner) {
    OwnerReference r = obj == null ? null : of(obj);
    return r != null && r.getUid() != null && r.getUid().equals(owner.getMetadata().getUid());
  }
}
