/** Leader election on a coordination.k8s.io Lease: one replica runs the controllers and the shards, the others wait. */
package io.agentsandbox.k8s.lease;
