package io.agentsandbox.k8s.lease;

import io.agentsandbox.core.internal.DaemonThreads;
import io.agentsandbox.k8s.backend.KubernetesBackendConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader election on a {@code coordination.k8s.io/v1 Lease} (fabric8 {@link LeaderElector}: get,
 * create, update of one Lease): 15 s lease, renewed every 2 s, released on close so a standby takes
 * over within about 2 s. Callbacks run on the {@code leader-election} thread.
 */
public final class LeaderElection implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LeaderElection.class);

  private final ExecutorService executor;
  private final CompletableFuture<?> running;

  public LeaderElection(
      KubernetesClient client,
      KubernetesBackendConfig c,
      Runnable onStartLeading,
      Runnable onStopLeading) {
    executor = Executors.newSingleThreadExecutor(DaemonThreads.named("leader-election"));
    var config =
        new LeaderElectionConfigBuilder()
            .withName(c.leaseName())
            .withLock(new LeaseLock(c.leaseNamespace(), c.leaseName(), c.identity()))
            .withLeaseDuration(Duration.ofSeconds(15))
            .withRenewDeadline(Duration.ofSeconds(10))
            .withRetryPeriod(Duration.ofSeconds(2))
            .withReleaseOnCancel(true)
            .withLeaderCallbacks(
                new LeaderCallbacks(
                    onStartLeading,
                    onStopLeading,
                    leader ->
                        LOG.info(
                            "leader of Lease {}/{}: {}",
                            c.leaseNamespace(),
                            c.leaseName(),
                            leader)))
            .build();
    LOG.info(
        "leader election on Lease {}/{} as {}; standing by until it is ours",
        c.leaseNamespace(),
        c.leaseName(),
        c.identity());
    running = new LeaderElector(client, config, executor).start();
  }

  /** Stops electing and releases the Lease if held; waits (5 s at most) for the release. */
  @Override
  public void close() {
    running.cancel(true);
    executor.shutdown();
    try {
      // the release (an update of the Lease) runs on the elector's thread: wait for it, bounded,
      // so that the caller may close the client afterwards
      if (!executor.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS))
        LOG.warn("the Lease was not released within 5 s; a standby takes over when it expires");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
