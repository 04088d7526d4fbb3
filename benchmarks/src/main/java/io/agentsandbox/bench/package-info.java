/** Shared helpers of the JMH benchmarks and the load harness. */
package io.agentsandbox.bench;
