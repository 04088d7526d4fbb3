/**
 * Micrometer metrics of the scheduler. A pool's meters are registered on the pool's owner thread
 * (its shard's event loop); the per-event methods may be called from any thread and only touch the
 * references made then. Gauges read the {@code PoolStats} the owner publishes.
 */
package io.agentsandbox.scheduler.metrics;
