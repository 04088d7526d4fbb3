/**
 * The {@code local} backend: sandboxes as gVisor or bubblewrap process trees on this host.
 *
 * <p>Who owns what:
 *
 * <ul>
 *   <li>{@link io.agentsandbox.scheduler.backend.local.LocalProvisioner} composes the parts below
 *       and is the entry point: opened, recovered and closed by the thread that starts or stops the
 *       server (blocking; never an event loop); its other methods return at once from any thread.
 *   <li>The sandbox table ({@code SandboxTable}) is written by the {@code local-runtime-<n>}
 *       lifecycle workers (and by recovery before any sandbox is created) and read by every thread.
 *       A sandbox's PIDs are written by the worker that starts it; its directory is written under
 *       the sandbox's monitor (bindings) or by that worker (metadata).
 *   <li>Execs run on {@code local-exec-<n>}, their output is read on {@code local-exec-io-<n>};
 *       bindings are written on {@code local-binding-<n>} ({@code WorkerPools}). A sandbox whose
 *       init is the in-sandbox agent ({@code AgentInit}; its secret is set before the sandbox is
 *       published and never changes) gets its execs and file operations over the agent's unix
 *       socket ({@code dataplane.AgentClient}, blocking, on the exec workers; readiness: {@code
 *       AgentProbe}); one without goes through {@code runsc exec} / {@code nsenter}.
 *   <li>The state directory's lock ({@code StateDir}) is held from open to close.
 *   <li>Each sandbox's cgroup ({@code SandboxCgroup} over a {@code CgroupDriver}: {@code CgroupV2},
 *       {@code CgroupV1} or {@code None}) is created by the launcher before the first process,
 *       joined by the runtime and by bubblewrap execs, and removed by the reaper. It holds no state
 *       of its own beyond the kernel's files.
 *   <li>The pure parts ({@code OciSpec}, {@code BwrapArgv}, {@code ExecArgv}, {@code
 *       RecoveryDecision}, {@code RuntimeMap}, {@code MetaCodec}, {@code SandboxLimits}) hold no
 *       state.
 * </ul>
 *
 * <p>Depends on {@code core}, the JDK, SLF4J and Jackson only.
 */
package io.agentsandbox.scheduler.backend.local;
