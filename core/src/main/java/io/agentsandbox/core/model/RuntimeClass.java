package io.agentsandbox.core.model;

import java.util.Objects;

/**
 * The isolation runtime a sandbox runs under: the pod's {@code runtimeClassName}. Immutable.
 *
 * <p>The empty name stands for "unset" (the node's default runtime, usually {@code runc}).
 */
public record RuntimeClass(String name) {

  /** Unset {@code runtimeClassName}: the default runtime. */
  public static final RuntimeClass DEFAULT = new RuntimeClass("");

  /** gVisor, user-space kernel; starts in about 0.1 s. */
  public static final RuntimeClass GVISOR = new RuntimeClass("gvisor");

  public RuntimeClass {
    Objects.requireNonNull(name, "name");
  }

  /** Maps a possibly-null {@code runtimeClassName} to a runtime class. */
  public static RuntimeClass of(String runtimeClassName) {
    if (runtimeClassName == null || runtimeClassName.isEmpty()) return DEFAULT;
    if (runtimeClassName.equals(GVISOR.name)) return GVISOR;
    return new RuntimeClass(runtimeClassName);
  }

  public boolean isDefault() {
    return name.isEmpty();
  }

  /**
   * True for Kata Containers classes ({@code kata}, {@code kata-qemu}, {@code
   * kata-qemu-nvidia-gpu}, ...).
   */
  public boolean isKata() {
    return name.equals("kata") || name.startsWith("kata-");
  }

  /** The name as shown to people: {@code default} when unset. */
  public String displayName() {
    return isDefault() ? "default" : name;
  }

  @Override
  public String toString() {
    return displayName();
  }
}
