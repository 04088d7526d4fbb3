package io.agentsandbox.k8s.reconcile;

import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SeccompProfile;
import io.fabric8.kubernetes.api.model.SecurityContext;
import java.util.List;

/**
 * Secure defaults for the code in a sandbox pod, filled in only where the template leaves a field
 * unset (a template that sets one, e.g. to add a capability, keeps its choice): the pod's {@code
 * seccompProfile} is {@code RuntimeDefault}; every container and init container gets {@code
 * allowPrivilegeEscalation: false} and {@code capabilities: {drop: [ALL]}}. Stateless; mutates the
 * spec it is given (callers pass their own copy).
 */
public final class PodHardening {

  private PodHardening() {}

  /** Applies the defaults to {@code spec} (a copy owned by the caller) and returns it. */
  public static PodSpec apply(PodSpec spec) {
    PodSecurityContext pod = spec.getSecurityContext();
    if (pod == null) {
      pod = new PodSecurityContext();
      spec.setSecurityContext(pod);
    }
    if (pod.getSeccompProfile() == null)
      pod.setSeccompProfile(new SeccompProfile(null, "RuntimeDefault"));
    harden(spec.getContainers());
    harden(spec.getInitContainers());
    return spec;
  }

  private static void harden(List<Container> containers) {
    if (containers == null) return;
    for (Container c : containers) {
      SecurityContext sc = c.getSecurityContext();
      if (sc == null) {
        sc = new SecurityContext();
        c.setSecurityContext(sc);
      }
      if (sc.getAllowPrivilegeEscalation() == null && !Boolean.TRUE.equals(sc.getPrivileged()))
        sc.setAllowPrivilegeEscalation(false);
      if (sc.getCapabilities() == null) sc.setCapabilities(new Capabilities(null, List.of("ALL")));
    }
  }
}
