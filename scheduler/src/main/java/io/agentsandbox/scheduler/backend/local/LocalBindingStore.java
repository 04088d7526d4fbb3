package io.agentsandbox.scheduler.backend.local;

import io.agentsandbox.core.model.BindingRecord;
import io.agentsandbox.core.port.BindingStore;
import java.io.IOException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each claim's binding in its sandbox's own directory ({@link SandboxStore#writeBinding}:
 * temp file, fsync, atomic rename, fsync of the directory) on the {@code local-binding-<n>}
 * workers, before the claim is acknowledged; a release writes the {@code released} marker, so a
 * released sandbox is never adopted again. Restart recovery reads them back. Thread-safe; every
 * method returns at once.
 */
final class LocalBindingStore implements BindingStore {

  private static final Logger LOG = LoggerFactory.getLogger(LocalBindingStore.class);

  private final SandboxTable sandboxes;
  private final SandboxStore store;
  private final Executor workers;
  private final ConcurrentHashMap<String, LocalSandbox> byClaim = new ConcurrentHashMap<>();

  LocalBindingStore(SandboxTable sandboxes, SandboxStore store, Executor workers) {
    this.sandboxes = sandboxes;
    this.store = store;
    this.workers = workers;
  }

  @Override
  public void persist(BindingRecord binding, Consumer<Throwable> done) {
    LocalSandbox sb = sandboxes.get(SandboxMeta.idOf(binding.pool(), binding.sandboxName()));
    if (sb == null || sb.deleteRequested) {
      done.accept(new IOException("sandbox " + binding.sandboxName() + " is gone"));
      return;
    }
    byClaim.put(binding.claimId(), sb);
    try {
      workers.execute(
          () -> {
            Throwable failure = null;
            try {
              synchronized (sb) {
                if (sb.destroyed || sb.released)
                  throw new IOException("sandbox " + sb.name + " was released or destroyed");
                store.writeBinding(sb.dir, binding);
              }
            } catch (IOException | RuntimeException e) {
              failure = e;
            }
            done.accept(failure);
          });
    } catch (RejectedExecutionException e) {
      byClaim.remove(binding.claimId(), sb);
      done.accept(new IOException("the local backend is shut down"));
    }
  }

  @Override
  public void remove(String claimId) {
    LocalSandbox sb = byClaim.remove(claimId);
    if (sb == null) return;
    sb.released = true;
    try {
      workers.execute(
          () -> {
            synchronized (sb) {
              if (sb.destroyed) return;
              try {
                store.markReleased(sb.dir);
              } catch (IOException e) {
                LOG.warn("cannot mark sandbox {} released: {}", sb.id, e.toString());
              }
            }
          });
    } catch (RejectedExecutionException e) {
      // shutting down: close() destroys the sandbox
    }
  }

  /** Recovery: {@code sb}, kept from the previous run, is bound to {@code claimId}. */
  void adopt(String claimId, LocalSandbox sb) {
    byClaim.put(claimId, sb);
  }
}
