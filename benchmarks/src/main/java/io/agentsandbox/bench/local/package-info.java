/** Cold sandbox start and warm claim-to-first-exec on the local backend, per runtime class (a probe, not JMH: real sandboxes). */
package io.agentsandbox.bench.local;
