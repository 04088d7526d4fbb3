package io.agentsandbox.scheduler.backend.local;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The backend's bounded thread pools, named by role: {@code local-runtime-<n>} start, probe and
 * delete sandboxes; {@code local-exec-<n>} run execs; {@code local-exec-io-<n>} read output pipes;
 * {@code local-binding-<n>} write bindings. Daemon threads, idle ones time out. Thread-safe.
 */
final class WorkerPools {
  final ThreadPoolExecutor lifecycle;
  final ThreadPoolExecutor execs;
  final ThreadPoolExecutor pipes;
  final ThreadPoolExecutor bindings;

  WorkerPools(LocalBackendConfig config) {
    lifecycle =
        pool("local-runtime-", config.lifecycleWorkers(), new LinkedBlockingQueue<>(100_000));
    execs =
        pool(
            "local-exec-",
            config.execWorkers(),
            new ArrayBlockingQueue<>(4 * config.execWorkers()));
    pipes =
        pool(
            "local-exec-io-",
            2 * config.execWorkers() + 2 * config.lifecycleWorkers(),
            new LinkedBlockingQueue<>());
    bindings = pool("local-binding-", 2, new LinkedBlockingQueue<>());
  }

  /** Stops every pool; queued work is dropped. Idempotent. */
  void shutdownNow() {
    lifecycle.shutdownNow();
    execs.shutdownNow();
    pipes.shutdownNow();
    bindings.shutdownNow();
  }

  private static ThreadPoolExecutor pool(
      String prefix, int threads, BlockingQueue<Runnable> queue) {
    AtomicInteger n = new AtomicInteger();
    ThreadFactory tf =
        r -> {
          Thread t = new Thread(r, prefix + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        };
    ThreadPoolExecutor ex =
        new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, queue, tf);
    ex.allowCoreThreadTimeOut(true);
    return ex;
  }
}
