package io.agentsandbox.scheduler.backend.local;

import io.agentsandbox.core.model.ExecRequest;
import io.agentsandbox.core.model.SandboxBlueprint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The in-sandbox agent as a sandbox's init: it listens on {@code /run/agent/agent.sock} (the
 * sandbox's {@code run/} directory on the host, bound read-write) and runs the template's command,
 * if any, as its child. Its binary's directory is bound read-only at {@code /run/agent-bin}.
 * Immutable; any thread.
 */
final class AgentInit implements SandboxInit {

  /** Where the sandbox's run directory appears inside it. */
  static final String RUN_MOUNT = "/run/agent";

  /** Where the binary's directory appears inside the sandbox. */
  static final String BIN_MOUNT = "/run/agent-bin";

  /** The socket's name in the run directory. */
  static final String SOCKET = "agent.sock";

  private final Path binary;

  AgentInit(Path binary) {
    this.binary = binary.toAbsolutePath();
  }

  /** The host directory holding a sandbox's agent socket. */
  static Path runDir(Path sandboxDir) {
    return sandboxDir.resolve("run");
  }

  /** The host path of a sandbox's agent socket. */
  static Path socket(Path sandboxDir) {
    return runDir(sandboxDir).resolve(SOCKET);
  }

  @Override
  public List<String> argv(SandboxBlueprint bp) {
    List<String> cmd = new ArrayList<>();
    cmd.add(BIN_MOUNT + "/" + binary.getFileName());
    cmd.add("--listen");
    cmd.add("unix:" + RUN_MOUNT + "/" + SOCKET);
    cmd.add("--workspace");
    cmd.add(ExecRequest.WORKSPACE);
    if (!bp.command().isEmpty() || !bp.args().isEmpty()) {
      cmd.add("--");
      cmd.addAll(bp.command());
      cmd.addAll(bp.args());
    }
    return cmd;
  }

  @Override
  public List<Bind> binds(Path sandboxDir) {
    return List.of(
        new Bind(runDir(sandboxDir), RUN_MOUNT, false),
        new Bind(binary.getParent(), BIN_MOUNT, true));
  }

  @Override
  public boolean hasAgent() {
    return true;
  }
}
