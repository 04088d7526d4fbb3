package io.agentsandbox.k8s.reconcile;

import io.agentsandbox.k8s.agent.AgentInjection;
import io.agentsandbox.k8s.client.MergePatch;
import io.agentsandbox.k8s.crd.OperatingMode;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxStatus;
import io.agentsandbox.k8s.crd.ShutdownPolicy;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sandbox → Pod (same name), headless Service (when {@code service: true}), PVCs ({@code
 * <vct>-<sandbox>}), status (conditions {@code Ready}/{@code Suspended}/{@code PodScheduled}/
 * {@code Finished}, {@code podIPs}, {@code serviceFQDN}), expiry ({@code shutdownTime} + {@code
 * shutdownPolicy}) and suspend/resume ({@code operatingMode}). Level-based and idempotent: each
 * pass compares the observed objects with the desired ones and writes only the difference.
 *
 * <p>Threads: fabric8 informer dispatch runs the thin handlers, which only queue the Sandbox's key;
 * {@code workers} threads named {@code sandbox-reconciler-<n>} run the passes (blocking fabric8
 * calls are fine there; they are not event loops); one {@code sandbox-reconciler-timer} thread
 * fires retries and expiry requeues. A key is never processed by two workers at once. Objects from
 * the informer caches are never mutated (copies are made).
 */
public final class SandboxReconciler implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SandboxReconciler.class);
  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  /**
   * Settings.
   *
   * @param namespace the namespace to watch, or null for all
   * @param workers reconcile threads (at least 1)
   * @param clusterDomain for {@code serviceFQDN} (default {@code cluster.local})
   * @param clock wall clock for expiry and condition times
   */
  public record Options(String namespace, int workers, String clusterDomain, Clock clock) {
    public Options {
      if (workers < 1) throw new IllegalArgumentException("workers must be >= 1: " + workers);
      Objects.requireNonNull(clusterDomain, "clusterDomain");
      Objects.requireNonNull(clock, "clock");
    }

    public static Options defaults() {
      return new Options(null, 4, "cluster.local", Clock.systemUTC());
    }

    public Options inNamespace(String ns) {
      return new Options(ns, workers, clusterDomain, clock);
    }
  }

  private final KubernetesClient client;
  private final Options options;
  private final ReconcileLoop loop;
  private final AtomicLong apiWrites = new AtomicLong();
  private final SandboxInformers informers;
  private final AgentInjection agent;

  public SandboxReconciler(KubernetesClient client, Options options) {
    this(client, options, new AgentInjection(AgentInjection.Options.disabled()));
  }

  /**
   * @param agent puts the in-sandbox agent into the pods this reconciler creates (when enabled and
   *     the Sandbox does not opt out)
   */
  public SandboxReconciler(KubernetesClient client, Options options, AgentInjection agent) {
    this.client = Objects.requireNonNull(client, "client");
    this.options = Objects.requireNonNull(options, "options");
    this.agent = Objects.requireNonNull(agent, "agent");
    this.loop =
        new ReconcileLoop(
            "sandbox-reconciler", options.workers(), this::reconcile, this::surfaceError, LOG);
    this.informers = new SandboxInformers(client, options.namespace());
  }

  /**
   * Starts the informers and the workers.
   *
   * @return completes when all informers have synced
   */
  public CompletableFuture<Void> start() {
    CompletableFuture<Void> synced = informers.start(loop);
    loop.start();
    return synced;
  }

  /** One level-based pass over the Sandbox {@code namespace/name}. Worker threads only. */
  void reconcile(String key) {
    Sandbox sb = informers.sandboxes().getIndexer().getByKey(key);
    if (sb == null || sb.getMetadata().getDeletionTimestamp() != null)
      return; // GC removes children
    String ns = sb.getMetadata().getNamespace();
    String name = sb.getMetadata().getName();
    Instant now = options.clock().instant().truncatedTo(ChronoUnit.SECONDS);

    Instant shutdownAt = parseTime(sb.getSpec().getShutdownTime());
    if (shutdownAt != null && !now.isBefore(shutdownAt)) {
      expire(sb, now);
      return;
    }
    if (shutdownAt != null) {
      loop.enqueueAfter(
          key, Duration.between(options.clock().instant(), shutdownAt).toMillis() + 10);
    }

    String pvcError = ensurePvcs(sb);

    Pod pod = informers.pods().getIndexer().getByKey(key);
    boolean podNotOwned = pod != null && !SandboxResources.isControlledBy(pod, sb);
    Pod owned = podNotOwned ? null : pod;
    boolean suspended = sb.getSpec().getOperatingMode() == OperatingMode.Suspended;
    if (suspended) {
      if (owned != null && owned.getMetadata().getDeletionTimestamp() == null) {
        delete(client.pods().inNamespace(ns).withName(name));
      }
    } else if (pod == null && pvcError == null) {
      Pod newPod = agent.apply(sb, SandboxResources.pod(sb));
      create(newPod);
    } else if (owned != null && owned.getMetadata().getDeletionTimestamp() == null) {
      syncPodMetadata(owned, SandboxResources.pod(sb));
    }

    String serviceName = ensureService(sb);

    String error =
        pvcError != null
            ? pvcError
            : podNotOwned && !suspended
                ? "pod " + name + " exists and is not controlled by this sandbox"
                : null;
    boolean serviceRequired = Boolean.TRUE.equals(sb.getSpec().getService());
    writeStatus(
        sb,
        new SandboxStatusCalculator.Observation(
            owned,
            podNotOwned,
            serviceName,
            serviceRequired,
            false,
            error,
            informers.podStartFailure(owned)),
        now);
  }

  private void expire(Sandbox sb, Instant now) {
    String ns = sb.getMetadata().getNamespace();
    String name = sb.getMetadata().getName();
    Pod pod = informers.pods().getIndexer().getByKey(SandboxInformers.key(sb));
    if (pod != null
        && SandboxResources.isControlledBy(pod, sb)
        && pod.getMetadata().getDeletionTimestamp() == null) {
      delete(client.pods().inNamespace(ns).withName(name));
    }
    Service svc = informers.services().getIndexer().getByKey(SandboxInformers.key(sb));
    if (svc != null && SandboxResources.isControlledBy(svc, sb)) {
      delete(client.services().inNamespace(ns).withName(name));
    }
    if (sb.getSpec().getShutdownPolicy() == ShutdownPolicy.Delete) {
      delete(client.resources(Sandbox.class).inNamespace(ns).withName(name));
      return;
    }
    writeStatus(
        sb, new SandboxStatusCalculator.Observation(null, false, null, false, true, null), now);
  }

  /**
   * Upstream's in-place metadata sync of an existing pod (its spec is never touched): the synced
   * Sandbox labels (pool, template, claim) and the pod template's labels and annotations are set;
   * synced or previously propagated keys that are gone are removed. One merge patch, only on change
   * (after a warm adoption: the pool label goes, {@code claim-uid} and the claim's {@code
   * additionalPodMetadata} come).
   */
  private void syncPodMetadata(Pod podNow, Pod podWanted) {
    String body = PodMetadataPatch.of(podNow, podWanted);
    if (body == null) return;
    apiWrites.incrementAndGet();
    MergePatch.apply(
        client,
        Pod.class,
        podNow.getMetadata().getNamespace(),
        podNow.getMetadata().getName(),
        null,
        body);
  }

  /** Creates missing PVCs; returns an error message when one belongs to someone else. */
  private String ensurePvcs(Sandbox sb) {
    for (PersistentVolumeClaim want : SandboxResources.pvcs(sb)) {
      String ns = sb.getMetadata().getNamespace();
      PersistentVolumeClaim have =
          client
              .persistentVolumeClaims()
              .inNamespace(ns)
              .withName(want.getMetadata().getName())
              .get();
      if (have == null) {
        create(want);
      } else if (!SandboxResources.isControlledBy(have, sb)) {
        return "persistentvolumeclaim "
            + want.getMetadata().getName()
            + " exists and is not controlled by this sandbox";
      }
    }
    return null;
  }

  /** Applies {@code spec.service}; returns the owned Service's name when it exists. */
  private String ensureService(Sandbox sb) {
    String ns = sb.getMetadata().getNamespace();
    String name = sb.getMetadata().getName();
    Service svc = informers.services().getIndexer().getByKey(SandboxInformers.key(sb));
    boolean owned = svc != null && SandboxResources.isControlledBy(svc, sb);
    Boolean want = sb.getSpec().getService();
    if (Boolean.TRUE.equals(want)) {
      if (svc == null) {
        create(SandboxResources.service(sb));
        return name;
      }
      return owned ? name : null;
    }
    if (Boolean.FALSE.equals(want)) {
      if (owned) delete(client.services().inNamespace(ns).withName(name));
      return null;
    }
    return owned ? name : null; // null: keep an existing Service, never create one
  }

  private void writeStatus(Sandbox sb, SandboxStatusCalculator.Observation seen, Instant now) {
    writeStatus(sb, SandboxStatusCalculator.compute(sb, seen, options.clusterDomain(), now));
  }

  private void writeStatus(Sandbox sb, SandboxStatus desired) {
    if (sb.getStatus() != null && JSON.asJson(desired).equals(JSON.asJson(sb.getStatus()))) return;
    Sandbox copy = JSON.clone(sb);
    copy.setStatus(desired);
    apiWrites.incrementAndGet();
    if (LOG.isDebugEnabled())
      LOG.debug("sandbox {}: status {}", SandboxInformers.key(sb), JSON.asJson(copy));
    client
        .resources(Sandbox.class)
        .inNamespace(sb.getMetadata().getNamespace())
        .resource(copy)
        .updateStatus();
  }

  private void surfaceError(String key, Exception e) {
    if (!informers.started()) return;
    try {
      Sandbox sb = informers.sandboxes().getIndexer().getByKey(key);
      if (sb == null || sb.getMetadata().getDeletionTimestamp() != null) return;
      Pod pod = informers.pods().getIndexer().getByKey(key);
      Pod owned = pod != null && SandboxResources.isControlledBy(pod, sb) ? pod : null;
      writeStatus(
          sb,
          new SandboxStatusCalculator.Observation(
              owned,
              false,
              null,
              Boolean.TRUE.equals(sb.getSpec().getService()),
              false,
              String.valueOf(e.getMessage())),
          options.clock().instant().truncatedTo(ChronoUnit.SECONDS));
    } catch (RuntimeException ignored) {
      // best effort: the retry will surface it again
    }
  }

  private void create(HasMetadata obj) {
    apiWrites.incrementAndGet();
    try {
      client.resource(obj).inNamespace(obj.getMetadata().getNamespace()).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) throw e; // already exists: the informer will show it
    }
  }

  private void delete(Resource<? extends HasMetadata> r) {
    apiWrites.incrementAndGet();
    r.delete(); // 404 counts as success (fabric8 returns an empty list)
  }

  private static Instant parseTime(String t) {
    if (t == null || t.isEmpty()) return null;
    try {
      return OffsetDateTime.parse(t).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /**
   * The pod {@code namespace/name} from this reconciler's informer cache (pods carrying the
   * sandbox-name-hash label), or null (also before {@link #start}). Never calls the API server; any
   * thread. The object is the cache's own: never mutate it.
   */
  public Pod cachedPod(String namespace, String name) {
    if (!informers.started() || informers.pods() == null) return null;
    return informers.pods().getIndexer().getByKey(namespace + "/" + name);
  }

  /** API writes issued so far (creates, deletes, status updates). */
  public long apiWrites() {
    return apiWrites.get();
  }

  /** Failed reconcile passes so far (each is retried). */
  public long errors() {
    return loop.errors();
  }

  /** Keys waiting to be reconciled. */
  public int queueDepth() {
    return loop.depth();
  }

  @Override
  public void close() {
    informers.close();
    loop.close();
  }
}
