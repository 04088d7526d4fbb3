package io.agentsandbox.k8s.backend;

import io.agentsandbox.core.internal.DaemonThreads;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the backend's blocking API writes run, in two lanes so that background work never delays a
 * claim: {@code k8s-bind-<n>} for the writes a claim waits for (its binding, a cold start, a
 * forwarded Ready), {@code k8s-write-<n>} for everything that follows a claim's answer or is no
 * claim's (adoptions, HTTP claims' status, expiry, stale members, pool status). Pool refill has its
 * own lane in the provisioner, and its creates wait while writes are queued here ({@link
 * io.agentsandbox.k8s.provision.Fabric8SandboxProvisioner#setYield}). Thread-safe; {@link #bind}
 * and {@link #write} never block.
 */
final class WriteQueues implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(WriteQueues.class);

  private final ThreadPoolExecutor bind;
  private final ThreadPoolExecutor write;

  WriteQueues(int bindThreads, int writeThreads) {
    this.bind = DaemonThreads.fixedPool(bindThreads, 100_000, "k8s-bind-");
    this.write = DaemonThreads.fixedPool(writeThreads, 100_000, "k8s-write-");
  }

  /** Queues a claim-path write; false (logged) when the lane is full. */
  boolean bind(Runnable r) {
    return offer(bind, r, "k8s-bind");
  }

  /** Queues a background write; false (logged) when the lane is full. */
  boolean write(Runnable r) {
    return offer(write, r, "k8s-write");
  }

  private static boolean offer(ThreadPoolExecutor lane, Runnable r, String name) {
    try {
      lane.execute(r);
      return true;
    } catch (RejectedExecutionException e) {
      if (!lane.isShutdown())
        LOG.warn("{} queue full; a write was dropped (the next informer event retries)", name);
      return false;
    }
  }

  /** Writes waiting in the claim-path lane. Any thread. */
  int bindDepth() {
    return bind.getQueue().size();
  }

  /** Writes waiting in the background lane. Any thread. */
  int writeDepth() {
    return write.getQueue().size();
  }

  @Override
  public void close() {
    DaemonThreads.shutdown(bind, 5_000);
    DaemonThreads.shutdown(write, 5_000);
  }
}
