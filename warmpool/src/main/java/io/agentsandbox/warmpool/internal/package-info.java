/**
 * Array-backed structures a {@link io.agentsandbox.warmpool.WarmPool} owns. Owned by the pool's
 * owner thread; none is thread-safe and none uses volatile, atomics or locks.
 */
package io.agentsandbox.warmpool.internal;
