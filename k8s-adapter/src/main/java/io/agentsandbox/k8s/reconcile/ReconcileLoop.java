package io.agentsandbox.k8s.reconcile;

import io.agentsandbox.core.internal.DaemonThreads;
import io.agentsandbox.k8s.client.WriteLog;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;

/**
 * The machinery a reconciler shares: a {@link KeyedWorkQueue}, {@code <name>-<n>} worker threads
 * that run the pass for one key at a time, a {@code <name>-timer} thread for delayed requeues, and
 * thin informer handlers that only queue keys. A failed pass is counted, handed to the error sink
 * (which surfaces it in status) and retried with backoff; a 409 is retried without noise.
 * Thread-safe.
 */
final class ReconcileLoop implements AutoCloseable {

  private final String name;
  private final int workerCount;
  private final Consumer<String> pass;
  private final BiConsumer<String, Exception> errorSink;
  private final Logger log;
  private final ScheduledExecutorService timer;
  private final KeyedWorkQueue queue;
  private final ExecutorService workers;
  private final AtomicLong errors = new AtomicLong();

  ReconcileLoop(
      String name,
      int workerCount,
      Consumer<String> pass,
      BiConsumer<String, Exception> errorSink,
      Logger log) {
    if (workerCount < 1) throw new IllegalArgumentException("workers must be >= 1: " + workerCount);
    this.name = Objects.requireNonNull(name, "name");
    this.workerCount = workerCount;
    this.pass = Objects.requireNonNull(pass, "pass");
    this.errorSink = Objects.requireNonNull(errorSink, "errorSink");
    this.log = Objects.requireNonNull(log, "log");
    this.timer = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named(name + "-timer"));
    this.queue = new KeyedWorkQueue(timer);
    this.workers = Executors.newFixedThreadPool(workerCount, DaemonThreads.numbered(name + "-"));
  }

  void start() {
    for (int i = 0; i < workerCount; i++) workers.execute(this::workLoop);
  }

  /** A thin informer handler: maps the object to a key (null: ignore) and queues it (R10). */
  <T extends HasMetadata> ResourceEventHandler<T> handler(Function<T, String> toKey) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        enqueue(toKey.apply(obj));
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        enqueue(toKey.apply(newObj));
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        enqueue(toKey.apply(obj));
      }
    };
  }

  void enqueue(String key) {
    if (key != null) queue.add(key);
  }

  void enqueueAfter(String key, long delayMs) {
    queue.addAfter(key, delayMs);
  }

  private void workLoop() {
    while (true) {
      String key;
      try {
        key = queue.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (key == null) return;
      try {
        pass.accept(key);
        queue.forget(key);
      } catch (KubernetesClientException e) {
        errors.incrementAndGet();
        if (e.getCode() == 409) {
          WriteLog.retried(name, key, e, "requeued with backoff");
        } else {
          log.warn("{} {}: reconcile failed, retrying: {}", name, key, e.getMessage());
          errorSink.accept(key, e);
        }
        queue.addRateLimited(key);
      } catch (RuntimeException e) {
        errors.incrementAndGet();
        log.warn("{} {}: reconcile failed, retrying", name, key, e);
        errorSink.accept(key, e);
        queue.addRateLimited(key);
      } finally {
        queue.done(key);
      }
    }
  }

  long errors() {
    return errors.get();
  }

  int depth() {
    return queue.depth();
  }

  @Override
  public void close() {
    queue.shutdown();
    workers.shutdownNow();
    timer.shutdownNow();
    try {
      workers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
