/**
 * The data plane to the in-sandbox agent, shared by the backends: {@code AgentClient} (blocking
 * HTTP/1.x to one agent over a unix socket or TCP, bounded by a watchdog) and {@code
 * AgentFirstExecutor} (exec and files through the agent a locator finds, else a fallback executor
 * such as {@code pods/exec}). Depends on {@code core}, the JDK and Jackson only.
 */
package io.agentsandbox.scheduler.dataplane;
