package io.agentsandbox.k8s.backend;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentsandbox.core.model.BindingRecord;
import io.agentsandbox.core.model.LaunchType;
import io.agentsandbox.core.model.OnEmpty;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.k8s.client.MergePatch;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit for the bindings of claims made over HTTP: the bindings that arrive while a journal
 * write is in flight go together in the next one, so a burst of claims costs a handful of API
 * writes on its critical path instead of one each.
 *
 * <p>The journal is a few {@code ConfigMap}s per namespace ({@value #NAME_PREFIX}{@code <slot>},
 * labelled {@value #LABEL}), each holding one entry per binding (key: the claim id, value: the
 * binding as JSON). Each slot has at most one write in flight (a merge patch of the entries added
 * and retired, carrying the object's {@code resourceVersion}); a claim is answered once the write
 * that holds its entry succeeded. The claim's own {@code SandboxClaim} is created after the answer;
 * its entry is then retired and leaves the journal with the slot's next write. On start-up {@link
 * #replay} creates the {@code SandboxClaim} of every entry that has none, before the caches are
 * read, so that recovery sees every answered claim.
 *
 * <p>Thread-safe: {@link #append} and {@link #retire} are called from any thread and never block; a
 * slot's write runs on the claim-path lane ({@code k8s-bind}), one at a time per slot.
 */
final class BindingJournal {

  private static final Logger LOG = LoggerFactory.getLogger(BindingJournal.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  static final String NAME_PREFIX = "agent-sandbox-bindings-";
  static final String LABEL = "agentsandbox.io/binding-journal";

  /** ConfigMap keys: claim ids that are not valid keys take the per-claim path instead. */
  private static final Pattern KEY = Pattern.compile("[-._a-zA-Z0-9]{1,253}");

  /** Journal objects per namespace: up to this many writes in flight per namespace. */
  static final int SLOTS = 4;

  /** Entries per object, at most (~200 B each: well under the 1 MiB object limit). */
  static final int MAX_ENTRIES = 2_000;

  /** How long retirements wait for a batch to ride along with before they are written alone. */
  static final long RETIRE_DELAY_MS = 1_000;

  /** One binding of the journal, as written. */
  record Entry(
      String claimId,
      String pool,
      String sandbox,
      String tenant,
      int priority,
      String onEmpty,
      String launchType,
      long ttlMs,
      long expiresAtEpochMs) {

    static Entry of(BindingRecord b) {
      return new Entry(
          b.claimId(),
          b.pool().name(),
          b.sandboxName(),
          b.tenant(),
          b.priority(),
          b.onEmpty().name(),
          b.launchType().name(),
          b.ttlMs(),
          b.expiresAtEpochMs());
    }

    BindingRecord toRecord(String ns) {
      return new BindingRecord(
          claimId,
          new PoolKey(ns, pool),
          sandbox,
          tenant,
          priority,
          OnEmpty.valueOf(onEmpty),
          LaunchType.valueOf(launchType),
          ttlMs,
          expiresAtEpochMs);
    }
  }

  /** Told, on the writing thread, of each entry made durable (in batch order). */
  interface Committed {
    void committed(BindingRecord b, long queuedNs, long startedNs, long wroteNs);
  }

  private record Pending(BindingRecord binding, long queuedNs, Consumer<Throwable> done) {}

  /** One journal object: its pending entries, retirements, and what was last written. */
  private final class Slot {
    final String ns;
    final String name;
    final ConcurrentLinkedQueue<Pending> pending = new ConcurrentLinkedQueue<>();
    final Set<String> retired = ConcurrentHashMap.newKeySet();
    final AtomicBoolean writing = new AtomicBoolean();

    /** Written entries and resourceVersion; touched only by the slot's one writer. */
    Map<String, String> data = new LinkedHashMap<>();

    String resourceVersion;
    boolean loaded;

    /** Claims refused after a write of unknown outcome: dropped when the object is re-read. */
    final Set<String> failed = ConcurrentHashMap.newKeySet();

    final AtomicBoolean retireArmed = new AtomicBoolean();

    Slot(String ns, int i) {
      this.ns = ns;
      this.name = NAME_PREFIX + i;
    }
  }

  private final KubernetesClient client;
  private final WriteQueues queues;
  private final Committed committed;
  private final BiConsumer<Runnable, Long> later;
  private final Map<String, Slot> slots = new ConcurrentHashMap<>();

  /**
   * @param later runs a task after a delay in ms (retirements wait to ride along with a batch)
   */
  BindingJournal(
      KubernetesClient client,
      WriteQueues queues,
      Committed committed,
      BiConsumer<Runnable, Long> later) {
    this.client = client;
    this.queues = queues;
    this.committed = committed;
    this.later = later;
  }

  /** Whether {@code claimId} can be journaled (a valid ConfigMap key). */
  static boolean journals(String claimId) {
    return KEY.matcher(claimId).matches();
  }

  /**
   * Journals {@code b}; {@code done} is told once the entry is durable (null) or could not be
   * written. Any thread; never blocks.
   */
  void append(BindingRecord b, long queuedNs, Consumer<Throwable> done) {
    Slot s = slotOf(b.pool().namespace(), b.claimId());
    s.pending.add(new Pending(b, queuedNs, done));
    kick(s);
  }

  /** The claim's own SandboxClaim exists: its entry leaves with the slot's next write. */
  void retire(String ns, String claimId) {
    retire(slotOf(ns, claimId), claimId);
  }

  private void retire(Slot s, String claimId) {
    s.retired.add(claimId);
    if (s.retireArmed.compareAndSet(false, true)) {
      later.accept(
          () -> {
            s.retireArmed.set(false);
            kick(s);
          },
          RETIRE_DELAY_MS);
    }
  }

  private Slot slotOf(String ns, String claimId) {
    return slot(ns, Math.floorMod(claimId.hashCode(), SLOTS));
  }

  private Slot slot(String ns, int i) {
    return slots.computeIfAbsent(ns + "/" + i, k -> new Slot(ns, i));
  }

  /** The slot an object of the journal is, by its name; -1 for a name that is no slot's. */
  static int slotIndexOf(String name) {
    if (!name.startsWith(NAME_PREFIX)) return -1;
    try {
      int i = Integer.parseInt(name.substring(NAME_PREFIX.length()));
      return i >= 0 && i < SLOTS ? i : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private void kick(Slot s) {
    if (s.writing.compareAndSet(false, true) && !queues.bind(() -> flush(s))) {
      s.writing.set(false);
      fail(drainAll(s), new IllegalStateException("k8s-bind queue full"));
    }
  }

  /** k8s-bind, one at a time per slot: writes batches until nothing is left to write. */
  private void flush(Slot s) {
    try {
      while (true) {
        if (!s.loaded) {
          try {
            load(s);
          } catch (RuntimeException e) {
            fail(drainAll(s), e);
            return;
          }
        }
        List<Pending> batch = drain(s);
        List<String> gone = new ArrayList<>(s.retired);
        if (batch.isEmpty() && gone.isEmpty()) return;
        long started = System.nanoTime();
        Map<String, String> next = new LinkedHashMap<>(s.data);
        gone.forEach(next::remove);
        for (Pending p : batch) next.put(p.binding().claimId(), encode(p.binding()));
        try {
          write(s, next, batch, gone);
        } catch (RuntimeException e) {
          // its outcome is unknown: these claims are refused, so their entries must not survive
          for (Pending p : batch) s.failed.add(p.binding().claimId());
          fail(batch, e);
          if (batch.isEmpty()) return; // a retirement: the next batch carries it
          continue;
        }
        s.data = next;
        s.failed.clear(); // the object is ours again
        gone.forEach(s.retired::remove);
        long wrote = System.nanoTime();
        for (Pending p : batch) {
          committed.committed(p.binding(), p.queuedNs(), started, wrote);
          p.done().accept(null);
        }
      }
    } catch (RuntimeException e) {
      LOG.warn("binding journal {}/{}: {}", s.ns, s.name, e.toString(), e);
    } finally {
      s.writing.set(false);
      // a full object waits for retirements (their timer kicks it again)
      if (!s.pending.isEmpty() && s.data.size() < MAX_ENTRIES) kick(s);
    }
  }

  private static List<Pending> drain(Slot s) {
    List<Pending> out = new ArrayList<>();
    int room = MAX_ENTRIES - s.data.size();
    Pending p;
    while (out.size() < room && (p = s.pending.poll()) != null) out.add(p);
    return out;
  }

  private static List<Pending> drainAll(Slot s) {
    List<Pending> out = new ArrayList<>();
    Pending p;
    while ((p = s.pending.poll()) != null) out.add(p);
    return out;
  }

  private static void fail(List<Pending> batch, Throwable e) {
    for (Pending p : batch) p.done().accept(e);
  }

  /**
   * First use of a slot: what a previous run left in the object (entries {@link #replay} retires or
   * that are still to be replayed) stays.
   */
  private void load(Slot s) {
    ConfigMap existing = client.configMaps().inNamespace(s.ns).withName(s.name).get();
    s.data = new LinkedHashMap<>();
    if (existing != null && existing.getData() != null) s.data.putAll(existing.getData());
    s.data.keySet().removeAll(s.failed);
    s.resourceVersion = existing == null ? null : existing.getMetadata().getResourceVersion();
    s.loaded = true;
  }

  /**
   * Writes the slot's object: created whole on first use, then a JSON merge patch of just the
   * entries added and retired (the request is the size of the batch, not of the object), at the
   * object's resourceVersion (a conflict means another writer: the object is re-read).
   */
  private void write(Slot s, Map<String, String> data, List<Pending> added, List<String> gone) {
    try {
      ConfigMap written;
      if (s.resourceVersion == null) {
        written = client.configMaps().inNamespace(s.ns).resource(object(s, data, null)).create();
      } else {
        Map<String, Object> delta = new LinkedHashMap<>();
        for (String k : gone) delta.put(k, null);
        for (Pending p : added) delta.put(p.binding().claimId(), data.get(p.binding().claimId()));
        Map<String, Object> patch = new LinkedHashMap<>();
        patch.put("metadata", Map.of("resourceVersion", s.resourceVersion));
        patch.put("data", delta);
        written =
            MergePatch.apply(
                client, ConfigMap.class, s.ns, s.name, null, JSON.writeValueAsString(patch));
      }
      s.resourceVersion = written.getMetadata().getResourceVersion();
    } catch (KubernetesClientException e) {
      s.loaded = false; // another writer, or an unknown outcome: re-read before the next write
      throw e;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ConfigMap object(Slot s, Map<String, String> data, String resourceVersion) {
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withName(s.name)
        .withNamespace(s.ns)
        .withResourceVersion(resourceVersion)
        .addToLabels(LABEL, "true")
        .endMetadata()
        .withData(data)
        .build();
  }

  static String encode(BindingRecord b) {
    try {
      return JSON.writeValueAsString(Entry.of(b));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static BindingRecord decode(String ns, String json) {
    try {
      return JSON.readValue(json, Entry.class).toRecord(ns);
    } catch (JsonProcessingException | RuntimeException e) {
      throw new IllegalArgumentException("unreadable binding journal entry: " + e.getMessage(), e);
    }
  }

  /**
   * Start-up, before the caches are read: every journaled binding whose {@code SandboxClaim} does
   * not exist is handed to {@code recreate} (which creates it); the entries are then retired with
   * the journal's next writes.
   *
   * @param namespace the watched namespace, null for all
   * @return how many bindings were replayed
   */
  int replay(String namespace, Consumer<BindingRecord> recreate) {
    var maps =
        namespace == null
            ? client.configMaps().inAnyNamespace().withLabel(LABEL).list().getItems()
            : client.configMaps().inNamespace(namespace).withLabel(LABEL).list().getItems();
    int replayed = 0;
    for (ConfigMap m : maps) {
      String ns = m.getMetadata().getNamespace();
      int slot = slotIndexOf(m.getMetadata().getName());
      if (m.getData() == null || slot < 0) continue;
      Slot s = slot(ns, slot);
      for (Map.Entry<String, String> e : m.getData().entrySet()) {
        BindingRecord b;
        try {
          b = decode(ns, e.getValue());
        } catch (IllegalArgumentException bad) {
          LOG.warn(
              "binding journal {}/{}: entry {}: {}",
              ns,
              m.getMetadata().getName(),
              e.getKey(),
              bad.getMessage());
          retire(s, e.getKey());
          continue;
        }
        recreate.accept(b);
        retire(s, e.getKey());
        replayed++;
      }
    }
    return replayed;
  }
}
