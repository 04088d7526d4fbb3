/**
 * The sandbox router: upstream's {@code X-Sandbox-*} protocol served on the API's own port,
 * proxying a request to a claimed sandbox's in-sandbox agent (found through the backend's {@link
 * io.agentsandbox.core.port.AgentLocator}), streaming both ways.
 */
package io.agentsandbox.scheduler.router;
