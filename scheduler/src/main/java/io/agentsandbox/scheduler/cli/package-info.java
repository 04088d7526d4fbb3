/** The server's command-line options as picocli mixins, one per concern (server, auth, local backend, Kubernetes); every option also reads an AGENT_SANDBOX_* environment variable. */
package io.agentsandbox.scheduler.cli;
