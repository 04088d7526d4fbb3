/**
 * Reconcilers: level-based, idempotent passes driven by fabric8 informers. Informer handlers only
 * queue keys; each reconciler's own worker threads do the API calls. State (work queue, counters)
 * is owned by its reconciler and safe to read from any thread.
 */
package io.agentsandbox.k8s.reconcile;
