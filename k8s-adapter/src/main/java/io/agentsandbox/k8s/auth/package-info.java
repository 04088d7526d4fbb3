/** API tokens checked with the cluster (TokenReview), cached, for the server's --auth kubernetes mode. */
package io.agentsandbox.k8s.auth;
