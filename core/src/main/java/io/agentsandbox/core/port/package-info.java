/** The ports a backend implements (provisioner, executor, file store, binding store, agent locator, token verifier) and the ones the engine calls (clock, metrics). Interfaces only; adapters live in scheduler and k8s-adapter. */
package io.agentsandbox.core.port;
