/** JMH: the MPSC inbox's offer and drain throughput, with and without contention. */
package io.agentsandbox.bench.inbox;
