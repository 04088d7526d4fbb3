/**
 * Helpers shared across modules but not API: they may change with the modules that use them.
 * Stateless.
 */
package io.agentsandbox.core.internal;
