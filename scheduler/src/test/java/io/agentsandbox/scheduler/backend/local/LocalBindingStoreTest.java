package io.agentsandbox.scheduler.backend.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.BindingRecord;
import io.agentsandbox.core.model.LaunchType;
import io.agentsandbox.core.model.OnEmpty;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.port.BindingStore;
import io.agentsandbox.core.testing.BindingStoreContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The binding-store contract against the local store, with sandbox directories but no runtime: what
 * recovery would restore is read back from the directories as {@link LocalRecovery} reads them.
 */
class LocalBindingStoreTest extends BindingStoreContract {

  static final PoolKey POOL = new PoolKey("default", "py");

  @TempDir Path tmp;
  private final SandboxTable table = new SandboxTable();
  private final ExecutorService workers = Executors.newFixedThreadPool(2);
  private SandboxStore store;
  private LocalBindingStore bindings;

  @BeforeEach
  void setUp() throws IOException {
    store = new SandboxStore(Files.createDirectories(tmp.resolve("sandboxes")));
    bindings = new LocalBindingStore(table, store, workers);
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    workers.shutdownNow();
    assertThat(workers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
  }

  @Override
  protected BindingStore store() {
    return bindings;
  }

  @Override
  protected BindingRecord newBinding(String claimId) {
    LocalSandbox sb = sandbox("sb-" + claimId);
    return binding(claimId, sb.name);
  }

  @Override
  protected Optional<Collection<BindingRecord>> recoverable() throws IOException {
    List<BindingRecord> out = new ArrayList<>();
    for (Path dir : store.list()) {
      BindingRecord b = SandboxStore.readBinding(dir);
      if (b != null && !SandboxStore.isReleased(dir)) out.add(b);
    }
    return Optional.of(out);
  }

  private LocalSandbox sandbox(String name) {
    LocalSandbox sb =
        new LocalSandbox(
            POOL,
            name,
            LocalRuntime.BWRAP,
            LaunchFixtures.blueprint(0, 0),
            null,
            store.dirOf(SandboxMeta.idOf(POOL, name)));
    try {
      Files.createDirectories(sb.dir);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    assertThat(table.add(sb)).isTrue();
    return sb;
  }

  private static BindingRecord binding(String claimId, String sandbox) {
    return new BindingRecord(
        claimId, POOL, sandbox, "tenant", 0, OnEmpty.WAIT, LaunchType.WARM, 60_000, 0);
  }

  private Throwable persistOutcome(BindingRecord b) throws Exception {
    CompletableFuture<Throwable> done = new CompletableFuture<>();
    bindings.persist(b, done::complete);
    return done.get(WAIT_S, TimeUnit.SECONDS);
  }

  @Test
  void shouldFailABindingOfAnUnknownOrDeletedSandbox() throws Exception {
    assertThat(persistOutcome(binding("c-unknown", "no-such-sandbox")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("gone");
    LocalSandbox deleted = sandbox("sb-deleted");
    deleted.deleteRequested = true;
    assertThat(persistOutcome(binding("c-deleted", deleted.name))).isInstanceOf(IOException.class);
    assertThat(recoverable().orElseThrow()).isEmpty();
  }

  @Test
  void shouldRefuseToBindAReleasedSandboxAgain() throws Exception {
    LocalSandbox sb = sandbox("sb-reused");
    persist(binding("c-first", sb.name));
    bindings.remove("c-first");
    assertThat(sb.released).isTrue();
    assertThat(persistOutcome(binding("c-second", sb.name)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("released");
  }

  @Test
  void shouldAdoptARecoveredBindingSoThatItsReleaseIsRecorded() throws Exception {
    LocalSandbox sb = sandbox("sb-kept");
    persist(binding("c-kept", sb.name));
    LocalBindingStore afterRestart = new LocalBindingStore(table, store, workers);
    afterRestart.adopt("c-kept", sb);
    afterRestart.remove("c-kept");
    assertThat(sb.released).isTrue();
    CompletableFuture<Void> drained = CompletableFuture.runAsync(() -> {}, workers);
    drained.get(WAIT_S, TimeUnit.SECONDS);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
    while (!SandboxStore.isReleased(sb.dir) && System.nanoTime() - deadline < 0) {
      java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
    }
    assertThat(SandboxStore.isReleased(sb.dir)).isTrue();
  }
}
