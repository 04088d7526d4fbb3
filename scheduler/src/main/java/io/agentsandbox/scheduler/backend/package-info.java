/**
 * Backends the scheduler provisions sandboxes with. {@link
 * io.agentsandbox.scheduler.backend.SimulatedProvisioner} (no real sandboxes, configurable start
 * latency) is thread-safe: any thread may create or delete, and its results are delivered from
 * Vert.x timer callbacks.
 */
package io.agentsandbox.scheduler.backend;
