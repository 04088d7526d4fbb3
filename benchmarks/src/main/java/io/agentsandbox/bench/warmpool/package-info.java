/** JMH: one pool's state machine (claim, release, replenish) without threads. */
package io.agentsandbox.bench.warmpool;
