package io.agentsandbox.k8s.backend;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.BindingRecord;
import io.agentsandbox.core.model.LaunchType;
import io.agentsandbox.core.model.OnEmpty;
import io.agentsandbox.core.model.PoolKey;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The binding journal's group commit, retirement and replay against fabric8's CRUD mock. */
@EnableKubernetesMockClient(crud = true)
class BindingJournalMockTest {

  private static final String NS = "team-a";

  KubernetesClient client;
  private final WriteQueues queues = new WriteQueues(1, 1);
  private final Set<Long> writeStarts = ConcurrentHashMap.newKeySet();
  private final ConcurrentLinkedQueue<Runnable> delayed = new ConcurrentLinkedQueue<>();

  @AfterEach
  void close() {
    queues.close();
  }

  private BindingJournal journal() {
    return new BindingJournal(
        client,
        queues,
        (b, queued, started, wrote) -> writeStarts.add(started),
        (r, delayMs) -> delayed.add(r));
  }

  private static BindingRecord binding(int i) {
    return new BindingRecord(
        "cl-0-abcdefgh" + i,
        new PoolKey(NS, "python"),
        "python-" + i,
        "tenant-a",
        0,
        OnEmpty.WAIT,
        LaunchType.WARM,
        60_000,
        0);
  }

  private Map<String, String> journaled() {
    Map<String, String> all = new ConcurrentHashMap<>();
    for (ConfigMap m :
        client.configMaps().inNamespace(NS).withLabel(BindingJournal.LABEL).list().getItems()) {
      // fabric8's mock keeps a merge patch's nulls as values; the API server removes the keys
      if (m.getData() != null)
        m.getData()
            .forEach(
                (k, v) -> {
                  if (v != null) all.put(k, v);
                });
    }
    return all;
  }

  @Test
  void shouldCommitTheBindingsThatArriveTogetherInOneWritePerSlot() throws Exception {
    BindingJournal journal = journal();
    CountDownLatch gate = new CountDownLatch(1);
    queues.bind(
        () -> {
          try {
            gate.await(10, TimeUnit.SECONDS); // the only bind thread is busy: claims pile up
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    int n = 200;
    CountDownLatch done = new CountDownLatch(n);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    for (int i = 0; i < n; i++) {
      journal.append(
          binding(i),
          System.nanoTime(),
          e -> {
            if (e != null) failure.compareAndSet(null, e);
            done.countDown();
          });
    }
    gate.countDown();
    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(failure.get()).isNull();
    assertThat(writeStarts).as("writes on the claims' path").hasSizeLessThanOrEqualTo(4);
    Map<String, String> data = journaled();
    assertThat(data).hasSize(n);
    assertThat(BindingJournal.decode(NS, data.get("cl-0-abcdefgh7"))).isEqualTo(binding(7));
  }

  @Test
  void shouldRetireEntriesWithALaterWriteAndReplayWhatIsLeft() throws Exception {
    BindingJournal journal = journal();
    CountDownLatch done = new CountDownLatch(10);
    for (int i = 0; i < 10; i++)
      journal.append(binding(i), System.nanoTime(), e -> done.countDown());
    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(journaled()).hasSize(10);

    for (int i = 0; i < 6; i++) journal.retire(NS, binding(i).claimId());
    assertThat(journaled()).as("retirements wait for a later write").hasSize(10);
    List<Runnable> timers = new ArrayList<>(delayed);
    delayed.clear();
    timers.forEach(Runnable::run);
    awaitJournaled(4);

    // a new run replays what is left, and retires it
    BindingJournal next = journal();
    Set<String> replayed = new HashSet<>();
    assertThat(next.replay(NS, b -> replayed.add(b.claimId()))).isEqualTo(4);
    assertThat(replayed)
        .containsExactlyInAnyOrder(
            binding(6).claimId(), binding(7).claimId(), binding(8).claimId(), binding(9).claimId());
    new ArrayList<>(delayed).forEach(Runnable::run);
    awaitJournaled(0);
  }

  @Test
  void shouldKeepAPreviousRunsEntriesWhenAppending() throws Exception {
    BindingJournal first = journal();
    CountDownLatch one = new CountDownLatch(1);
    first.append(binding(1), System.nanoTime(), e -> one.countDown());
    assertThat(one.await(10, TimeUnit.SECONDS)).isTrue();

    BindingJournal second = journal(); // a restart that has not replayed yet
    CountDownLatch more = new CountDownLatch(8);
    for (int i = 2; i < 10; i++)
      second.append(binding(i), System.nanoTime(), e -> more.countDown());
    assertThat(more.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(journaled()).containsKey(binding(1).claimId()).hasSize(9);
  }

  @Test
  void shouldJournalOnlyClaimIdsThatAreConfigMapKeys() {
    assertThat(BindingJournal.journals("cl-3-k2j4h5g6f7d8s9a0")).isTrue();
    assertThat(BindingJournal.journals("team/claim")).isFalse();
    assertThat(BindingJournal.journals("")).isFalse();
  }

  private void awaitJournaled(int size) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (journaled().size() != size && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(20); // poll interval of a bounded poll
    }
    assertThat(journaled()).hasSize(size);
  }
}
