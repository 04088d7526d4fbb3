package io.agentsandbox.client;

import java.util.List;

/**
 * The sandbox bound to a claim.
 *
 * @param name the sandbox's name (the {@code id} of the exec and files routes)
 * @param namespace its namespace
 * @param podIPs its addresses
 * @param runtimeClassName {@code gvisor}, {@code default}, ...
 * @param backend {@code local}, {@code kubernetes} or {@code simulated}
 * @param simulated true on the simulated backend: nothing runs, exec and files answer 501
 */
public record SandboxInfo(
    String name,
    String namespace,
    List<String> podIPs,
    String runtimeClassName,
    String backend,
    boolean simulated) {}
