package io.agentsandbox.scheduler.backend.local;

import java.io.IOException;

/**
 * Starts sandboxes on one local runtime. A launcher starts the runtime's processes detached (they
 * outlive the server), records their PIDs in the sandbox and its metadata, and says when an exec
 * can be tried; the lifecycle then probes with an exec until one answers. Putting a sandbox into a
 * cgroup of its own belongs here, between {@link LaunchSpec} and the first process. Called by
 * lifecycle workers only, one at a time per sandbox.
 */
interface SandboxLauncher {

  /**
   * Starts {@code sb} as {@code spec} says. Blocking.
   *
   * @throws IOException with the reason when the runtime refused to start it
   */
  void start(LocalSandbox sb, LaunchSpec spec, HostRoot host) throws IOException;

  /**
   * While starting: why the sandbox is already dead, or null. May pick up what the runtime reports
   * late (bubblewrap's init PID). Blocking (file system).
   */
  String exitedWhileStarting(LocalSandbox sb) throws IOException;

  /** True once an exec can be tried on {@code sb}. */
  boolean canExec(LocalSandbox sb);
}
