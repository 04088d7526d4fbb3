/**
 * A Java client of the Agent Sandbox claim API, on the JDK's {@link java.net.http.HttpClient} and
 * Jackson only (published alone as the {@code client} classifier jar of the {@code scheduler}
 * artifact). Start at {@link io.agentsandbox.client.AgentSandboxClient}: {@code claim} returns a
 * {@link io.agentsandbox.client.SandboxHandle} (exec, streamed exec, files; close = release);
 * failures are typed {@link io.agentsandbox.client.AgentSandboxException}s; 429/503 are retried
 * within a {@link io.agentsandbox.client.RetryPolicy}. The wire format is the server's {@code
 * /openapi.yaml}.
 */
package io.agentsandbox.client;
