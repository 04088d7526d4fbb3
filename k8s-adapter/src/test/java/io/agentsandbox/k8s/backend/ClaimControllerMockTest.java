package io.agentsandbox.k8s.backend;

import static io.agentsandbox.k8s.testing.ClusterFixtures.claim;
import static io.agentsandbox.k8s.testing.ClusterFixtures.controllerOf;
import static io.agentsandbox.k8s.testing.ClusterFixtures.createTemplateAndPool;
import static io.agentsandbox.k8s.testing.ClusterFixtures.installCrd;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.BindingRecord;
import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.ClaimTicket;
import io.agentsandbox.core.model.LaunchType;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.model.RecoveredSandbox;
import io.agentsandbox.core.model.RejectReason;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxRef;
import io.agentsandbox.core.port.ClaimSubmitter;
import io.agentsandbox.core.port.PoolCatalogListener;
import io.agentsandbox.k8s.crd.Sandbox;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.agentsandbox.k8s.crd.SandboxSpec;
import io.agentsandbox.k8s.crd.SandboxTemplate;
import io.agentsandbox.k8s.crd.SandboxWarmPool;
import io.agentsandbox.k8s.crd.UpstreamKeys;
import io.agentsandbox.k8s.testing.CrudMockServer;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The claim controller (through {@link KubernetesBackend}) against fabric8's CRUD mock, with the
 * test as the engine: each SandboxClaim becomes one engine claim however many events it sees; a
 * binding is one status write, the adoption follows; an empty pool takes upstream's cold path; a
 * deleted claim is released.
 */
class ClaimControllerMockTest {

  private static final String NS = "team-a";
  private static final long WAIT_S = 20;

  private CrudMockServer mock;
  private KubernetesClient client;
  private KubernetesBackend backend;
  private final BlockingQueue<ClaimTicket> submitted = new LinkedBlockingQueue<>();
  private final BlockingQueue<String> released = new LinkedBlockingQueue<>();
  private final BlockingQueue<PoolKey> declared = new LinkedBlockingQueue<>();

  @BeforeEach
  void start() {
    mock = new CrudMockServer();
    client = mock.client();
    installCrd(client, "agents.x-k8s.io_sandboxes.yaml");
    installCrd(client, "extensions.agents.x-k8s.io_sandboxclaims.yaml");
    installCrd(client, "extensions.agents.x-k8s.io_sandboxtemplates.yaml");
    installCrd(client, "extensions.agents.x-k8s.io_sandboxwarmpools.yaml");
    createTemplateAndPool(client, NS, "py", "py-pool", 1);
    backend =
        new KubernetesBackend(
            client.getConfiguration(), new KubernetesBackend.Options(NS, 2, 1_000, 10_000));
    backend.start(
        new ClaimSubmitter() {
          @Override
          public boolean submit(ClaimTicket ticket) {
            return submitted.add(ticket);
          }

          @Override
          public void release(PoolKey pool, String claimId, String tenant) {
            released.add(claimId);
          }
        },
        new PoolCatalogListener() {
          @Override
          public void declare(PoolSpec spec, List<RecoveredSandbox> recovered) {
            declared.add(spec.key());
          }

          @Override
          public void remove(PoolKey pool) {}
        });
  }

  @AfterEach
  void stop() {
    try {
      if (backend != null) backend.close();
    } finally {
      mock.close();
    }
  }

  @Test
  void shouldSubmitEachClaimOnceBindItWithOneWriteAndReleaseItWhenDeleted() throws Exception {
    PoolKey pool = new PoolKey(NS, "py-pool");
    assertThat(declared.poll(WAIT_S, TimeUnit.SECONDS)).isEqualTo(pool);
    String member = createMember("py-pool-m1");

    client
        .resources(SandboxClaim.class)
        .inNamespace(NS)
        .resource(claim(NS, "a", "py-pool"))
        .create();
    ClaimTicket a = submitted.poll(WAIT_S, TimeUnit.SECONDS);
    assertThat(a).isNotNull();
    assertThat(a.request().pool()).isEqualTo(pool);
    // more events for "a" (a label) before "b" is created: "b" is the next claim the engine sees
    client
        .resources(SandboxClaim.class)
        .inNamespace(NS)
        .withName("a")
        .edit(
            x -> {
              x.getMetadata().setLabels(java.util.Map.of("touched", "yes"));
              return x;
            });
    client
        .resources(SandboxClaim.class)
        .inNamespace(NS)
        .resource(claim(NS, "b", "py-pool"))
        .create();
    ClaimTicket b = submitted.poll(WAIT_S, TimeUnit.SECONDS);
    assertThat(b).isNotNull();
    assertThat(b.request().claimId()).endsWith("/b");

    // the engine binds "a" to the member: its status names it, then the member is adopted
    String claimA = a.request().claimId();
    backend
        .bindingStore()
        .persist(
            new BindingRecord(
                claimA,
                pool,
                member,
                a.request().tenant(),
                0,
                a.request().onEmpty(),
                LaunchType.WARM,
                0,
                0),
            failure -> {
              assertThat(failure).isNull();
              a.complete(
                  new ClaimOutcome.Assigned(
                      claimA,
                      new SandboxRef(member, pool, RuntimeClass.DEFAULT, List.of(), "kubernetes"),
                      LaunchType.WARM,
                      0,
                      0));
            });
    SandboxClaim boundA =
        client
            .resources(SandboxClaim.class)
            .inNamespace(NS)
            .withName("a")
            .waitUntilCondition(
                x ->
                    x.getStatus() != null
                        && x.getStatus().getSandbox() != null
                        && member.equals(x.getStatus().getSandbox().getName()),
                WAIT_S,
                TimeUnit.SECONDS);
    awaitAdopted(member, boundA.getMetadata().getUid());

    // the pool is empty for "b" (no wait asked): upstream's cold path, a Sandbox named after it
    b.complete(new ClaimOutcome.Rejected(RejectReason.POOL_EMPTY, "empty", 0));
    Sandbox cold =
        client
            .resources(Sandbox.class)
            .inNamespace(NS)
            .withName("b")
            .waitUntilCondition(
                s -> s != null && controllerOf(s) != null, WAIT_S, TimeUnit.SECONDS);
    assertThat(controllerOf(cold).getKind()).isEqualTo("SandboxClaim");
    assertThat(controllerOf(cold).getName()).isEqualTo("b");

    // deleting "a" ends its engine claim
    client.resources(SandboxClaim.class).inNamespace(NS).withName("a").delete();
    assertThat(released.poll(WAIT_S, TimeUnit.SECONDS)).isEqualTo(claimA);
    assertThat(submitted).as("no claim submitted twice").isEmpty();
  }

  /**
   * Waits (bounded) for the adoption patch: the mock applies its labels but merges owner-reference
   * lists instead of replacing them as RFC 7386 says (the owner is checked on the real API server
   * by {@code KubernetesBackendIT}).
   */
  private void awaitAdopted(String sandbox, String claimUid) {
    client
        .resources(Sandbox.class)
        .inNamespace(NS)
        .withName(sandbox)
        .waitUntilCondition(
            s ->
                s != null
                    && s.getMetadata().getLabels() != null
                    && claimUid.equals(s.getMetadata().getLabels().get(UpstreamKeys.CLAIM_UID))
                    && s.getMetadata().getOwnerReferences().stream()
                        .anyMatch(
                            o ->
                                claimUid.equals(o.getUid())
                                    && Boolean.TRUE.equals(o.getController())),
            WAIT_S,
            TimeUnit.SECONDS);
  }

  /** A pool member as the provisioner makes them: owned by the pool. */
  private String createMember(String name) {
    SandboxWarmPool p =
        client.resources(SandboxWarmPool.class).inNamespace(NS).withName("py-pool").get();
    Sandbox s = new Sandbox();
    s.setMetadata(
        new ObjectMetaBuilder()
            .withName(name)
            .withNamespace(NS)
            .withOwnerReferences(
                new OwnerReferenceBuilder()
                    .withApiVersion(p.getApiVersion())
                    .withKind("SandboxWarmPool")
                    .withName("py-pool")
                    .withUid(p.getMetadata().getUid())
                    .withController(true)
                    .build())
            .build());
    SandboxSpec spec = new SandboxSpec();
    spec.setPodTemplate(
        client
            .resources(SandboxTemplate.class)
            .inNamespace(NS)
            .withName("py")
            .get()
            .getSpec()
            .getPodTemplate());
    s.setSpec(spec);
    client.resources(Sandbox.class).inNamespace(NS).resource(s).create();
    return name;
  }
}
