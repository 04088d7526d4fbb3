package io.agentsandbox.scheduler.backend.local;

import io.agentsandbox.core.model.SandboxBlueprint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What runs as a sandbox's first process (PID 1 of its PID namespace) and what it needs from the
 * host: the template's command (or an idle shell), or the in-sandbox agent ({@link AgentInit}),
 * which serves exec and files over a unix socket in the sandbox's directory: its argv wraps the
 * template's command and {@link #binds} adds its binary (read-only) and its socket's directory.
 * Stateless; any thread.
 */
interface SandboxInit {

  /** Runs the template's command and args, or {@link SandboxEnv#IDLE_INIT} when it has none. */
  SandboxInit WORKLOAD =
      bp -> {
        if (bp.command().isEmpty() && bp.args().isEmpty()) return SandboxEnv.IDLE_INIT;
        List<String> cmd = new ArrayList<>(bp.command());
        cmd.addAll(bp.args());
        return cmd;
      };

  /** The init process's argv inside the sandbox. */
  List<String> argv(SandboxBlueprint blueprint);

  /** True when the init is the in-sandbox agent ({@link AgentInit}). */
  default boolean hasAgent() {
    return false;
  }

  /** Host paths the init process needs inside the sandbox, besides the workspace. */
  default List<Bind> binds(Path sandboxDir) {
    return List.of();
  }

  /**
   * A host path bound into a sandbox.
   *
   * @param source the host path
   * @param destination the absolute path inside the sandbox
   */
  record Bind(Path source, String destination, boolean readOnly) {}
}
