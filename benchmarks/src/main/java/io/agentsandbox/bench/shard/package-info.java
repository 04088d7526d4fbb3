/** JMH: a claim's round trip through a shard's inbox and event loop. */
package io.agentsandbox.bench.shard;
