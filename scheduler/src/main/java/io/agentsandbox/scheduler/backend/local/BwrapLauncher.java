package io.agentsandbox.scheduler.backend.local;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Starts bubblewrap sandboxes ({@link BwrapArgv}) as detached processes, and learns the PID of the
 * namespace's init (which execs enter) from bwrap's info file. Stateless; lifecycle workers only.
 */
final class BwrapLauncher implements SandboxLauncher {

  static final String INFO_FILE = "bwrap-info.json";

  private static final Pattern CHILD_PID = Pattern.compile("\"child-pid\"\\s*:\\s*(\\d+)");

  private final HostProbe tools;
  private final SandboxStore store;
  private final SandboxCgroup group;

  BwrapLauncher(HostProbe tools, SandboxStore store, SandboxCgroup group) {
    this.tools = tools;
    this.group = group;
    this.store = store;
  }

  @Override
  public void start(LocalSandbox sb, LaunchSpec spec, HostRoot host) throws IOException {
    group.create(sb.id, group.limitsOf(spec.memoryBytes(), spec.cpuMillis()));
    ProcessBuilder pb =
        new ProcessBuilder(
                group.join(
                    sb.id,
                    BwrapArgv.build(
                        spec, host, tools.bwrap(), tools.setpriv(), sb.dir.resolve(INFO_FILE))))
            .redirectInput(new File("/dev/null"))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(spec.runtimeLog().toFile());
    pb.environment().clear();
    pb.environment().putAll(SandboxEnv.host());
    sb.process = pb.start();
    sb.outerPid = sb.process.pid();
    sb.outerStart = Procs.startTimeOf(sb.outerPid);
    store.writeMeta(sb.dir, sb.meta());
  }

  @Override
  public String exitedWhileStarting(LocalSandbox sb) throws IOException {
    if (sb.initPid == 0) readInfo(sb);
    Process p = sb.process;
    if (p != null && !p.isAlive()) {
      return "bwrap exited with status "
          + p.exitValue()
          + ": "
          + Text.tail(sb.dir.resolve("runtime.log"));
    }
    return null;
  }

  @Override
  public boolean canExec(LocalSandbox sb) {
    return sb.initPid != 0;
  }

  private void readInfo(LocalSandbox sb) throws IOException {
    Path info = sb.dir.resolve(INFO_FILE);
    if (!Files.exists(info)) return;
    Matcher m = CHILD_PID.matcher(Files.readString(info));
    if (m.find()) {
      sb.initPid = Long.parseLong(m.group(1));
      sb.initStart = Procs.startTimeOf(sb.initPid);
      store.writeMeta(sb.dir, sb.meta());
    }
  }
}
