/**
 * The HTTP claim API: one {@link io.agentsandbox.scheduler.http.HttpVerticle} per event loop, its
 * routes, the JSON codec and API authentication.
 *
 * <p>Each verticle, its routes and its per-request state are owned by that verticle's event loop. A
 * claim ({@link io.agentsandbox.scheduler.http.HttpClaimTicket}) is owned by its shard from
 * submission until it completes, then hops back to the requesting loop. {@link
 * io.agentsandbox.scheduler.http.ApiContext}, the codec and the claim tokens are immutable and
 * shared; {@link io.agentsandbox.scheduler.http.ApiAuth} may be read from any thread, and its
 * reload (file I/O) runs on a worker.
 */
package io.agentsandbox.scheduler.http;
