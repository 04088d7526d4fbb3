package io.agentsandbox.client;

/**
 * A warm pool and its counts ({@code GET /v1/pools}).
 *
 * @param namespace the pool's namespace
 * @param name its name
 * @param template its SandboxTemplate
 * @param runtimeClassName the runtime class of its sandboxes
 * @param backend {@code local}, {@code kubernetes} or {@code simulated}
 * @param simulated true on the simulated backend
 * @param replicas {@code spec.replicas}
 * @param ready ready, unclaimed sandboxes
 * @param starting sandboxes starting
 * @param claimed sandboxes bound to claims
 * @param pending claims waiting (queue depth)
 * @param warmHitRatio share of claims served warm
 * @param available false when the pool has condition {@code Ready=False} (e.g. its runtime class
 *     cannot run on this backend; claims get 422)
 */
public record PoolInfo(
    String namespace,
    String name,
    String template,
    String runtimeClassName,
    String backend,
    boolean simulated,
    int replicas,
    int ready,
    int starting,
    int claimed,
    int pending,
    double warmHitRatio,
    boolean available) {}
