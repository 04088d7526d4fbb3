package io.agentsandbox.scheduler.backend.local;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Everything a runtime needs to start one sandbox, decided before any process runs. Immutable.
 *
 * @param id the sandbox's id (its directory's and runsc container's name)
 * @param hostname the sandbox's hostname
 * @param dir the sandbox's directory in the state dir
 * @param workspace the host directory bound read-write at {@code /workspace}
 * @param rootfs the read-only root skeleton (gVisor)
 * @param maskedStateDir the state dir, hidden behind an empty tmpfs, or null when sandboxes do not
 *     see it anyway
 * @param initArgv the argv of the sandbox's first process
 * @param env the environment of every process in the sandbox
 * @param binds further host paths the init process needs
 * @param dropToSandboxUser true when the server runs as root: the sandbox runs as {@link
 *     SandboxEnv#SANDBOX_UID}
 * @param cpuMillis CPU limit (0: none)
 * @param memoryBytes memory limit (0: none)
 * @param cgroupsPath the cgroup the sandbox's processes go to
 */
record LaunchSpec(
    String id,
    String hostname,
    Path dir,
    Path workspace,
    Path rootfs,
    Path maskedStateDir,
    List<String> initArgv,
    Map<String, String> env,
    List<SandboxInit.Bind> binds,
    boolean dropToSandboxUser,
    long cpuMillis,
    long memoryBytes,
    String cgroupsPath) {

  LaunchSpec {
    initArgv = List.copyOf(initArgv);
    env = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(env));
    binds = List.copyOf(binds);
  }

  /** Where the runtime's own output goes. */
  Path runtimeLog() {
    return dir.resolve("runtime.log");
  }
}
