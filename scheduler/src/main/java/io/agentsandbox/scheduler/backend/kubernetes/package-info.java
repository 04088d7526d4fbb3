/**
 * The scheduler's Kubernetes-only services: its configuration, leader election (its state and
 * callbacks on the {@code leader-election} thread; {@code close} from any thread) and API
 * authentication by {@code TokenReview} (thread-safe; reviews run on its own {@code token-review}
 * pool and answer on it, so callers hop back to their event loop).
 */
package io.agentsandbox.scheduler.backend.kubernetes;
