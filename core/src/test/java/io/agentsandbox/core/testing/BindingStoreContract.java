package io.agentsandbox.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.BindingRecord;
import io.agentsandbox.core.port.BindingStore;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * What every {@link BindingStore} must do: {@code persist} calls {@code done} exactly once, with
 * null once the binding is durable; a persisted binding is what a restart would restore (for a
 * store that keeps anything); {@code remove} forgets it, is idempotent and ignores unknown ids.
 * Subclasses supply the store, bindings it can accept and, where it has one, the view restart
 * recovery reads. Published in core's test-jar.
 */
public abstract class BindingStoreContract {

  protected static final long WAIT_S = 30;

  protected abstract BindingStore store();

  /** A binding of a new claim this store can accept (arranging what it needs, e.g. a sandbox). */
  protected abstract BindingRecord newBinding(String claimId);

  /**
   * The bindings restart recovery would restore now, read as recovery reads them; empty when the
   * store keeps nothing across a restart.
   */
  protected abstract Optional<Collection<BindingRecord>> recoverable() throws Exception;

  @Test
  public void shouldCallDoneOnceWithNullWhenTheBindingIsDurable() throws Exception {
    BindingRecord b = newBinding("claim-durable");
    List<Throwable> calls = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> first = new CompletableFuture<>();
    store()
        .persist(
            b,
            t -> {
              calls.add(t == null ? new NullMarker() : t);
              first.complete(null);
            });
    first.get(WAIT_S, TimeUnit.SECONDS);
    assertThat(calls).hasSize(1).allMatch(t -> t instanceof NullMarker);
    Optional<Collection<BindingRecord>> restored = recoverable();
    restored.ifPresent(r -> assertThat(r).contains(b));
    // A later operation gives a second, wrong call the time to show.
    persist(newBinding("claim-later"));
    assertThat(calls).hasSize(1);
  }

  @Test
  public void shouldCallDoneOnceForEachOfManyConcurrentPersists() throws Exception {
    List<BindingRecord> all = new ArrayList<>();
    for (int i = 0; i < 16; i++) all.add(newBinding("claim-many-" + i));
    List<CompletableFuture<Throwable>> done = new ArrayList<>();
    List<String> twice = new CopyOnWriteArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (BindingRecord b : all) {
      CompletableFuture<Throwable> f = new CompletableFuture<>();
      done.add(f);
      threads.add(
          new Thread(
              () ->
                  store()
                      .persist(
                          b,
                          t -> {
                            if (!f.complete(t)) twice.add(b.claimId());
                          })));
    }
    threads.forEach(Thread::start);
    for (CompletableFuture<Throwable> f : done)
      assertThat(f.get(WAIT_S, TimeUnit.SECONDS)).isNull();
    for (Thread t : threads) t.join(TimeUnit.SECONDS.toMillis(WAIT_S));
    assertThat(twice).isEmpty();
    Optional<Collection<BindingRecord>> restored = recoverable();
    restored.ifPresent(r -> assertThat(r).containsAll(all));
  }

  @Test
  public void shouldForgetARemovedBindingAndTolerateASecondRemove() throws Exception {
    BindingRecord kept = newBinding("claim-kept");
    BindingRecord gone = newBinding("claim-gone");
    persist(kept);
    persist(gone);
    store().remove(gone.claimId());
    store().remove(gone.claimId());
    if (recoverable().isPresent()) {
      eventually(() -> !recoverableNow().contains(gone));
      assertThat(recoverableNow()).contains(kept);
    }
  }

  @Test
  public void shouldIgnoreRemovingAnUnknownClaim() throws Exception {
    BindingRecord kept = newBinding("claim-survives");
    persist(kept);
    store().remove("never-persisted");
    store().remove("");
    BindingRecord probe = newBinding("claim-after");
    persist(probe);
    recoverable().ifPresent(r -> assertThat(r).contains(kept, probe));
  }

  /** Persists and waits until {@code done} reports it durable. */
  protected final void persist(BindingRecord b) throws Exception {
    CompletableFuture<Throwable> done = new CompletableFuture<>();
    store().persist(b, done::complete);
    assertThat(done.get(WAIT_S, TimeUnit.SECONDS)).as("persist " + b.claimId()).isNull();
  }

  private Collection<BindingRecord> recoverableNow() {
    try {
      return recoverable().orElseThrow();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Waits, bounded, until {@code condition} holds ({@code remove} returns before it is done). */
  private static void eventually(BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0)
        throw new AssertionError("condition not met within " + WAIT_S + " s");
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
  }

  /** Stands for a {@code null} argument in a list of calls. */
  private static final class NullMarker extends Throwable {
    NullMarker() {
      super(null, null, false, false);
    }
  }
}
