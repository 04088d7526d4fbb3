package io.agentsandbox.scheduler.backend.local;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Configuration of the {@code local} backend. Immutable.
 *
 * @param stateDir where sandboxes' workspaces, bundles and runsc's state live (created if missing)
 * @param runscPath the {@code runsc} binary, or a bare name looked up on {@code PATH}
 * @param bwrapPath the {@code bwrap} binary, or a bare name looked up on {@code PATH}
 * @param runtimeMap runtime class to local runtime ({@code gvisor} or {@code bwrap}), e.g. {@code
 *     kata=gvisor}; {@code default} names the unset class; {@code none} makes a class unavailable
 * @param execOutputLimitBytes most bytes of stdout (and of stderr) kept per exec
 * @param execWorkers most execs running at once (more queue up to {@code 4 ×} this, then 503)
 * @param lifecycleWorkers threads that start, probe and delete sandboxes
 * @param readyTimeoutMs a sandbox whose exec does not answer this long after start has failed
 * @param defaultSandboxMemoryBytes memory limit of a sandbox whose template sets none (0: none)
 * @param defaultSandboxPids most processes in a sandbox whose pool sets no other limit
 * @param agentBinary the in-sandbox agent's static binary, run as every sandbox's init process and
 *     reached over a unix socket in the sandbox's directory; null: no agent (the template's command
 *     is the init, execs run through {@code runsc exec} / {@code nsenter}, the previous path)
 */
public record LocalBackendConfig(
    Path stateDir,
    String runscPath,
    String bwrapPath,
    Map<String, String> runtimeMap,
    int execOutputLimitBytes,
    int execWorkers,
    int lifecycleWorkers,
    long readyTimeoutMs,
    long defaultSandboxMemoryBytes,
    long defaultSandboxPids,
    Path agentBinary) {

  /** 16 MiB of stdout and of stderr per exec. */
  public static final int DEFAULT_EXEC_OUTPUT_LIMIT = 16 << 20;

  /** The gVisor binary, looked up on {@code PATH}. */
  public static final String DEFAULT_RUNSC_PATH = "runsc";

  /** The agent's file name, in the distribution's {@code bin/} and in {@code agent/target/}. */
  public static final String AGENT_BINARY_NAME = "agent-sandbox-agent";

  /** The bubblewrap binary, looked up on {@code PATH}. */
  public static final String DEFAULT_BWRAP_PATH = "bwrap";

  /** 1 GiB for a sandbox whose template sets no memory limit. */
  public static final long DEFAULT_SANDBOX_MEMORY = 1L << 30;

  /** 1,024 processes per sandbox. */
  public static final long DEFAULT_SANDBOX_PIDS = 1_024;

  public LocalBackendConfig {
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(runscPath, "runscPath");
    Objects.requireNonNull(bwrapPath, "bwrapPath");
    runtimeMap = Map.copyOf(runtimeMap);
  }

  /** Defaults: state under {@link #defaultStateDir()}, binaries from {@code PATH}. */
  public static LocalBackendConfig defaults() {
    int cpus = Math.max(1, Runtime.getRuntime().availableProcessors());
    return new LocalBackendConfig(
        defaultStateDir(),
        DEFAULT_RUNSC_PATH,
        DEFAULT_BWRAP_PATH,
        Map.of(),
        DEFAULT_EXEC_OUTPUT_LIMIT,
        Math.max(8, 4 * cpus),
        Math.max(4, 2 * cpus),
        30_000,
        DEFAULT_SANDBOX_MEMORY,
        DEFAULT_SANDBOX_PIDS,
        findAgentBinary());
  }

  /** {@code $XDG_STATE_HOME/agent-sandbox} when set, else {@code ./.state}. */
  public static Path defaultStateDir() {
    String xdg = System.getenv("XDG_STATE_HOME");
    return xdg != null && !xdg.isBlank() ? Path.of(xdg, "agent-sandbox") : Path.of(".state");
  }

  /** The same configuration with another state directory. */
  public LocalBackendConfig withStateDir(Path dir) {
    return with(dir, agentBinary);
  }

  /** The same configuration with another agent binary (null: none, the previous exec path). */
  public LocalBackendConfig withAgentBinary(Path binary) {
    return with(stateDir, binary);
  }

  private LocalBackendConfig with(Path stateDir, Path agentBinary) {
    return new LocalBackendConfig(
        stateDir,
        runscPath,
        bwrapPath,
        runtimeMap,
        execOutputLimitBytes,
        execWorkers,
        lifecycleWorkers,
        readyTimeoutMs,
        defaultSandboxMemoryBytes,
        defaultSandboxPids,
        agentBinary);
  }

  /**
   * The default agent binary (the flag {@code --agent-binary}, or its variable {@code
   * AGENT_SANDBOX_AGENT_BINARY}, overrides it): the first executable of {@code
   * bin/agent-sandbox-agent} of the distribution the server's jar is in ({@code <dist>/lib/*.jar}),
   * {@code agent/target/agent-sandbox-agent} of the checkout it was built in ({@code
   * <checkout>/scheduler/target/*.jar}), the same under the working directory or its parent; else
   * null (no agent).
   */
  public static Path findAgentBinary() {
    List<Path> candidates = new ArrayList<>();
    try {
      Path jar =
          Path.of(
                  LocalBackendConfig.class
                      .getProtectionDomain()
                      .getCodeSource()
                      .getLocation()
                      .toURI())
              .toAbsolutePath();
      Path dir = jar.getParent();
      if (dir != null && dir.getParent() != null) {
        candidates.add(dir.getParent().resolve("bin").resolve(AGENT_BINARY_NAME));
        Path module = dir.getParent().getParent();
        if (module != null) {
          candidates.add(module.resolve("agent").resolve("target").resolve(AGENT_BINARY_NAME));
        }
      }
    } catch (URISyntaxException | RuntimeException e) {
      // no code source (an unusual class loader): the working directory only
    }
    candidates.add(Path.of("agent", "target", AGENT_BINARY_NAME));
    candidates.add(Path.of("..", "agent", "target", AGENT_BINARY_NAME));
    for (Path p : candidates) {
      if (Files.isRegularFile(p) && Files.isExecutable(p)) return p.toAbsolutePath().normalize();
    }
    return null;
  }

  /**
   * Checks every value; the message names the flag at fault.
   *
   * @throws IllegalArgumentException on the first invalid value
   */
  public LocalBackendConfig validate() {
    check(!runscPath.isBlank(), "--runsc-path must not be empty");
    check(!bwrapPath.isBlank(), "--bwrap-path must not be empty");
    for (var e : runtimeMap.entrySet()) {
      check(
          LocalRuntime.parse(e.getValue()) != null || e.getValue().equals("none"),
          "--runtime-map " + e.getKey() + " must map to gvisor, bwrap or none: " + e.getValue());
    }
    check(
        execOutputLimitBytes >= 1_024 && execOutputLimitBytes <= 256 << 20,
        "--exec-output-limit-bytes must be 1024..268435456: " + execOutputLimitBytes);
    check(
        execWorkers >= 1 && execWorkers <= 1_024, "--exec-workers must be 1..1024: " + execWorkers);
    check(
        lifecycleWorkers >= 1 && lifecycleWorkers <= 256,
        "lifecycle workers must be 1..256: " + lifecycleWorkers);
    check(
        defaultSandboxMemoryBytes >= 0,
        "--default-sandbox-memory must be >= 0: " + defaultSandboxMemoryBytes);
    check(
        defaultSandboxPids >= 16 && defaultSandboxPids <= 4_194_304,
        "--default-sandbox-pids must be 16..4194304: " + defaultSandboxPids);
    check(readyTimeoutMs >= 100, "ready timeout must be >= 100 ms: " + readyTimeoutMs);
    check(
        agentBinary == null || Files.isExecutable(agentBinary),
        "--agent-binary is not an executable file: " + agentBinary);
    check(
        agentBinary == null || agentBinary.isAbsolute(),
        "--agent-binary must be an absolute path: " + agentBinary);
    return this;
  }

  /**
   * Parses {@code class=runtime,...}, e.g. {@code kata=gvisor,default=bwrap}.
   *
   * @throws IllegalArgumentException naming the bad entry
   */
  public static Map<String, String> parseRuntimeMap(String spec) {
    Map<String, String> out = new LinkedHashMap<>();
    if (spec == null || spec.isBlank()) return out;
    for (String part : spec.split(",")) {
      String p = part.trim();
      int eq = p.indexOf('=');
      if (eq <= 0 || eq == p.length() - 1) {
        throw new IllegalArgumentException(
            "--runtime-map entry must be class=gvisor|bwrap|none: '" + p + "'");
      }
      String runtime = p.substring(eq + 1).trim();
      if (LocalRuntime.parse(runtime) == null && !runtime.equals("none")) {
        throw new IllegalArgumentException(
            "--runtime-map entry must be class=gvisor|bwrap|none: '" + p + "'");
      }
      out.put(p.substring(0, eq).trim(), runtime);
    }
    return out;
  }

  private static void check(boolean ok, String message) {
    if (!ok) throw new IllegalArgumentException(message);
  }
}
