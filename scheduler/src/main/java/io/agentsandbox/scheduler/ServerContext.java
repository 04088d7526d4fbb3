package io.agentsandbox.scheduler;

import io.agentsandbox.k8s.backend.KubernetesBackendConfig;
import io.agentsandbox.scheduler.backend.local.LocalBackendConfig;
import java.util.Objects;

/**
 * Everything a {@link SchedulerServer} is configured with, in one place: the server and pool
 * settings ({@link SchedulerConfig}), API security ({@link SecurityConfig}), the local backend
 * ({@link LocalBackendConfig}) and the Kubernetes backend ({@link KubernetesBackendConfig}). Each
 * part keeps its defaults as documented constants beside its fields; {@link #conclude()} validates
 * every part and the rules between them once, before anything starts (Aeron's {@code
 * Context.conclude()} is the model). Not thread-safe until concluded; immutable after.
 */
public final class ServerContext {

  private SchedulerConfig server;
  private LocalBackendConfig local = LocalBackendConfig.defaults();
  private SecurityConfig security = SecurityConfig.DEFAULTS;
  private KubernetesBackendConfig kubernetes = KubernetesBackendConfig.defaults();
  private boolean concluded;

  /** A context with {@code server} and every other part at its defaults. */
  public ServerContext(SchedulerConfig server) {
    this.server = Objects.requireNonNull(server, "server");
  }

  public ServerContext local(LocalBackendConfig value) {
    checkOpen();
    this.local = Objects.requireNonNull(value, "local");
    return this;
  }

  public ServerContext security(SecurityConfig value) {
    checkOpen();
    this.security = Objects.requireNonNull(value, "security");
    return this;
  }

  public ServerContext kubernetes(KubernetesBackendConfig value) {
    checkOpen();
    this.kubernetes = Objects.requireNonNull(value, "kubernetes");
    return this;
  }

  /**
   * Validates every part and the rules between them; idempotent.
   *
   * @throws IllegalArgumentException naming the option at fault
   */
  public ServerContext conclude() {
    if (concluded) return this;
    server = server.validate();
    local = local.validate();
    security = security.validate();
    kubernetes = kubernetes.validate();
    if (security.tokenReview() && !onKubernetes()) {
      throw new IllegalArgumentException(
          "--auth "
              + security.auth()
              + " needs --backend kubernetes (TokenReview asks its API server)");
    }
    concluded = true;
    return this;
  }

  /** True when sandboxes and pools come from a Kubernetes cluster. */
  public boolean onKubernetes() {
    return server.backend().equals("kubernetes");
  }

  public SchedulerConfig server() {
    return server;
  }

  public LocalBackendConfig local() {
    return local;
  }

  public SecurityConfig security() {
    return security;
  }

  public KubernetesBackendConfig kubernetes() {
    return kubernetes;
  }

  /** The same context listening on {@code port}. */
  ServerContext withPort(int port) {
    ServerContext c =
        new ServerContext(server.withPort(port))
            .local(local)
            .security(security)
            .kubernetes(kubernetes);
    c.concluded = concluded;
    return c;
  }

  private void checkOpen() {
    if (concluded) throw new IllegalStateException("context already concluded");
  }

  @Override
  public String toString() {
    return "ServerContext[" + server + ", " + local + ", " + security + ", " + kubernetes + "]";
  }
}
