/**
 * What the loggers of the claim path share without depending on a logging library: {@link
 * io.agentsandbox.core.logging.LogBudget}, the per-category rate limit that bounds log volume under
 * overload and counts what it dropped, and {@link io.agentsandbox.core.logging.TraceParent}, the
 * W3C trace id a claim may carry. Thread-safe; no allocation on the path that drops a line.
 */
package io.agentsandbox.core.logging;
