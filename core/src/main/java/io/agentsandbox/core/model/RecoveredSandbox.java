package io.agentsandbox.core.model;

import java.util.List;
import java.util.Objects;

/**
 * A sandbox a backend found still running after a restart, checked to answer, to be re-adopted by
 * its pool. Immutable.
 *
 * @param sandboxName its name
 * @param addresses its addresses (may be empty)
 * @param binding the acknowledged claim it is bound to, or null for an unclaimed (warm) sandbox
 */
public record RecoveredSandbox(String sandboxName, List<String> addresses, BindingRecord binding) {

  public RecoveredSandbox {
    Objects.requireNonNull(sandboxName, "sandboxName");
    addresses = List.copyOf(addresses == null ? List.of() : addresses);
  }

  public boolean isBound() {
    return binding != null;
  }
}
