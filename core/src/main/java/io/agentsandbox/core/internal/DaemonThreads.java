package io.agentsandbox.core.internal;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The adapters' own threads: daemon threads (they never keep the JVM alive), named for thread
 * dumps. Stateless; the factories are thread-safe.
 */
public final class DaemonThreads {

  private DaemonThreads() {}

  /** Daemon threads all named {@code name}. */
  public static ThreadFactory named(String name) {
    return r -> daemon(r, name);
  }

  /** Daemon threads named {@code <prefix>0}, {@code <prefix>1}, … in the order they are made. */
  public static ThreadFactory numbered(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> daemon(r, prefix + n.getAndIncrement());
  }

  /**
   * A pool of {@code threads} daemon threads named as by {@link #numbered}, with room for {@code
   * queueCapacity} waiting tasks; beyond, {@code execute} throws {@link
   * java.util.concurrent.RejectedExecutionException}. Idle threads are kept; 60 s keep-alive once
   * {@link ThreadPoolExecutor#allowCoreThreadTimeOut} is set.
   */
  public static ThreadPoolExecutor fixedPool(int threads, int queueCapacity, String prefix) {
    return new ThreadPoolExecutor(
        threads,
        threads,
        60,
        TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(queueCapacity),
        numbered(prefix));
  }

  /**
   * Shuts {@code pool} down: its queued tasks may finish for up to {@code timeoutMs}, then running
   * ones are interrupted. An interrupt of the caller interrupts them at once and is kept.
   */
  public static void shutdown(ExecutorService pool, long timeoutMs) {
    pool.shutdown();
    try {
      if (!pool.awaitTermination(timeoutMs, TimeUnit.MILLISECONDS)) pool.shutdownNow();
    } catch (InterruptedException e) {
      pool.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}
