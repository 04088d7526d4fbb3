/**
 * The sandbox router: upstream's {@code X-Sandbox-*} protocol served on the API's own port,
 * proxying a request to a claimed sandbox's in-sandbox agent (found through the backend's {@link
 * io.agentsandbox.core.port.AgentLocator}), streaming both ways.
 *
 * <p>Headers: {@code X-Sandbox-ID} (sandbox name; its presence sends the request here), {@code
 * X-Sandbox-Namespace} (default {@code default}), {@code X-Sandbox-Port} (default 8888, the agent's
 * upstream runtime API; a unix-socket agent serves only that), {@code X-Sandbox-Timeout} (seconds
 * until the answer's head, default 60, max 3600); each at most once, else {@code 400}. Path, query,
 * method and body go through unchanged; the client's {@code Authorization} is removed and the
 * sandbox's agent secret put in its place (only towards the agent's own port).
 *
 * <p>Errors (JSON, as the rest of the API): {@code 404} unknown sandbox, {@code 409} a warm sandbox
 * no claim holds (never reachable), {@code 503} + {@code Retry-After} no agent answering yet,
 * {@code 502} the agent refused or dropped the connection, {@code 504} no answer head within the
 * timeout, {@code 408} the client's body slower than that. With API auth on: {@code 401} without a
 * bearer token, {@code 403} unless it is the claim's token or an API token of the claim's tenant.
 * The chart also exposes the port as upstream's Service {@code sandbox-router-svc:8080}.
 */
package io.agentsandbox.scheduler.router;
