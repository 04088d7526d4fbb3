/**
 * The composition root: {@link io.agentsandbox.scheduler.Main} parses the command line into config
 * records and {@link io.agentsandbox.scheduler.SchedulerServer} wires Vert.x, the shards, the
 * backend and the HTTP verticles from them.
 *
 * <p>The server's state is built by the thread that calls {@code start} (blocking: never an event
 * loop) and is immutable afterwards, except what the shards and backends own. {@code port}, {@code
 * close} and the accessors may be called from any thread; {@code close} runs once.
 */
package io.agentsandbox.scheduler;
