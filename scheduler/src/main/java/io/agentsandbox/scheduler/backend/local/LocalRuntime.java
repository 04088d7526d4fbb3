package io.agentsandbox.scheduler.backend.local;

/** The two ways the local backend isolates a sandbox. */
public enum LocalRuntime {
  /** gVisor's {@code runsc}: a user-space kernel; an OCI bundle per sandbox. */
  GVISOR("gvisor"),
  /** bubblewrap: Linux namespaces (user, pid, net, ipc, uts, mount) around a process tree. */
  BWRAP("bwrap");

  private final String wireName;

  LocalRuntime(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  /**
   * {@code gvisor}/{@code runsc} or {@code bwrap}/{@code bubblewrap}/{@code runc}; null otherwise.
   */
  public static LocalRuntime parse(String name) {
    return switch (name) {
      case "gvisor", "runsc" -> GVISOR;
      case "bwrap", "bubblewrap", "runc" -> BWRAP;
      default -> null;
    };
  }
}
