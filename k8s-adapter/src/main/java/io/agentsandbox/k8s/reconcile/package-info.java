/**
 * Reconcilers: level-based, idempotent passes driven by fabric8 informers. Informer handlers only
 * queue keys; each reconciler's own worker threads ({@code sandbox-reconciler-<n>}, {@code
 * template-reconciler-<n>}) do the API calls, and a key is never processed by two at once. State
 * (work queue, counters) is owned by its reconciler; its counters and {@code close} may be used
 * from any thread.
 */
package io.agentsandbox.k8s.reconcile;
