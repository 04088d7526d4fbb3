/**
 * The CRD model: fabric8 {@code CustomResource} classes for {@code agents.x-k8s.io/v1beta1 Sandbox}
 * and {@code extensions.agents.x-k8s.io/v1beta1 SandboxTemplate | SandboxWarmPool | SandboxClaim},
 * with upstream's field names, enums, defaults, printer columns, short names and subresources.
 *
 * <p>{@code crds/*.yaml} is generated from these classes by {@code crd-generator-maven-plugin}
 * ({@code scripts/generate-crds.sh}); {@code CrdsUpToDateTest} fails when it is stale. The beans
 * are mutable and hold no shared state; objects from an informer cache are shared and must be
 * copied before they are changed.
 */
package io.agentsandbox.k8s.crd;
