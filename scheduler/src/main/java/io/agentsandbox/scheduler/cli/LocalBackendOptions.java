package io.agentsandbox.scheduler.cli;

import io.agentsandbox.scheduler.backend.local.LocalBackendConfig;
import io.agentsandbox.scheduler.pools.Quantities;
import java.nio.file.Path;
import picocli.CommandLine.Help.Visibility;
import picocli.CommandLine.Option;

/** The local backend (and the exec limits the Kubernetes backend shares). */
public final class LocalBackendOptions {

  @Option(
      names = "--state-dir",
      defaultValue = "",
      showDefaultValue = Visibility.NEVER,
      description =
          "Sandbox state, kept across restarts (kubernetes: the claim-token key only);"
              + " default $XDG_STATE_HOME/agent-sandbox, else ./.state.")
  Path stateDir;

  @Option(
      names = "--runtime-map",
      defaultValue = "",
      showDefaultValue = Visibility.NEVER,
      description =
          "Local runtime per runtime class, class=gvisor|bwrap|none,... e.g. kata=gvisor.")
  String runtimeMap;

  @Option(
      names = "--runsc-path",
      defaultValue = LocalBackendConfig.DEFAULT_RUNSC_PATH,
      description = "The gVisor runsc binary (from PATH by default).")
  String runscPath;

  @Option(
      names = "--bwrap-path",
      defaultValue = LocalBackendConfig.DEFAULT_BWRAP_PATH,
      description = "The bubblewrap binary (from PATH by default).")
  String bwrapPath;

  @Option(
      names = "--exec-output-limit-bytes",
      defaultValue = "" + LocalBackendConfig.DEFAULT_EXEC_OUTPUT_LIMIT,
      description = "Bytes of stdout and of stderr kept per exec, and largest file download.")
  int execOutputLimitBytes;

  @Option(
      names = "--exec-workers",
      defaultValue = "0",
      description = "Execs running at once (then queued, then 503); 0 = 4 x CPUs, at least 8.")
  int execWorkers;

  @Option(
      names = "--agent-binary",
      defaultValue = "",
      showDefaultValue = Visibility.NEVER,
      description =
          "The in-sandbox agent, every local sandbox's init (exec and files go to it over a unix"
              + " socket); 'none': no agent, execs via runsc exec / nsenter. Default"
              + " bin/ of the distribution, else agent/target/ of the checkout; none there: no"
              + " agent.")
  String agentBinary;

  @Option(
      names = "--default-sandbox-memory",
      defaultValue = "1Gi",
      description =
          "Memory limit of a local sandbox whose template sets none (a quantity, 0 = none).")
  String defaultSandboxMemory;

  @Option(
      names = "--default-sandbox-pids",
      defaultValue = "" + LocalBackendConfig.DEFAULT_SANDBOX_PIDS,
      description = "Most processes in one local sandbox.")
  long defaultSandboxPids;

  /** The local-backend configuration these flags describe (not yet validated). */
  public LocalBackendConfig toConfig() {
    LocalBackendConfig d = LocalBackendConfig.defaults();
    return new LocalBackendConfig(
        stateDir == null || stateDir.toString().isEmpty() ? d.stateDir() : stateDir,
        runscPath,
        bwrapPath,
        LocalBackendConfig.parseRuntimeMap(runtimeMap),
        execOutputLimitBytes,
        execWorkers == 0 ? d.execWorkers() : execWorkers,
        d.lifecycleWorkers(),
        d.readyTimeoutMs(),
        defaultSandboxMemory.equals("0")
            ? 0
            : Quantities.bytes("--default-sandbox-memory", defaultSandboxMemory),
        defaultSandboxPids,
        agentBinary == null || agentBinary.isEmpty()
            ? d.agentBinary()
            : agentBinary.equals("none") ? null : Path.of(agentBinary).toAbsolutePath());
  }
}
