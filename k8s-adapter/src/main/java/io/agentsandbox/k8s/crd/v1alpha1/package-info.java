/**
 * The deprecated {@code agents.x-k8s.io/v1alpha1 Sandbox}, served (not stored) for the seed
 * documents' YAML. Mutable fabric8 beans with no shared state.
 */
package io.agentsandbox.k8s.crd.v1alpha1;
