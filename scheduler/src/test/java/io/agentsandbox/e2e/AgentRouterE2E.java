package io.agentsandbox.e2e;

import static io.agentsandbox.e2e.RealNode.*;
import static io.agentsandbox.k8s.testing.ClusterFixtures.claim;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentsandbox.k8s.agent.AgentInjection;
import io.agentsandbox.k8s.crd.SandboxClaim;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The data plane on a real node: the controller injects the in-sandbox agent into gVisor pool pods
 * (RuntimeClass gvisor-hostnet: with --network=none a gVisor pod's IP is not served by its
 * netstack), and upstream's SDK flow works against it unchanged: a {@code SandboxClaim} from a warm
 * pool, {@code Ready}, then {@code execute}, {@code upload}, {@code download}, {@code list}, {@code
 * exists} through the router (the server's own port, {@code X-Sandbox-ID} / {@code
 * X-Sandbox-Namespace} / {@code X-Sandbox-Port}), then the claim deleted. The client is written
 * from upstream's runtime protocol, not from upstream's code.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentRouterE2E {

  static final String GVISOR_HOSTNET = "gvisor-hostnet";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private NodeSession session;
  private KubernetesClient c;
  private String ns;
  private Controller controller;

  @BeforeAll
  void setUp() throws Exception {
    session = NodeSession.open("e2e-agent", "agent");
    c = session.client();
    ns = session.ns();
    controller = session.controller();
    createTemplateAndPool(c, ns, "rt", GVISOR_HOSTNET, 1);
  }

  @AfterAll
  void tearDown() throws Exception {
    if (session != null) session.close();
  }

  @Test
  void shouldRunTheAgentAsTheInitOfTheWorkloadWithTheTemplatesCommandAsItsChild() throws Exception {
    Pod pod = awaitReadyMembers(c, ns, "rt", 1, 120).get(0);
    assertThat(AgentInjection.injected(pod)).isTrue();
    Container main = pod.getSpec().getContainers().get(0);
    assertThat(main.getCommand())
        .startsWith(AgentInjection.BINARY)
        .endsWith("--", "/bin/sleep", "2147483647");
    String base = "http://" + pod.getStatus().getPodIP() + ":8888";
    String secret = controller.agentSecret(ns, pod.getMetadata().getName());
    assertThat(send(HttpRequest.newBuilder(URI.create(base + "/healthz")).GET(), null).statusCode())
        .isEqualTo(200);
    String exec = "{\"command\":[\"sh\",\"-c\",\"cat /proc/version; ps -o pid,ppid,args\"]}";
    assertThat(
            send(
                    HttpRequest.newBuilder(URI.create(base + "/v1/exec"))
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(exec)),
                    null)
                .statusCode())
        .isEqualTo(401);
    HttpResponse<byte[]> r =
        send(
            HttpRequest.newBuilder(URI.create(base + "/v1/exec"))
                .header("content-type", "application/json")
                .header("authorization", "Bearer " + secret)
                .POST(HttpRequest.BodyPublishers.ofString(exec)),
            null);
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode out = JSON.readTree(r.body());
    assertThat(out.get("exitCode").asInt()).isZero();
    assertThat(out.get("stdout").asText())
        .startsWith("Linux version 4.4.0") // gVisor's kernel
        .contains("agent-sandbox-agent")
        .contains("sleep 2147483647");
  }

  @Test
  void shouldServeUpstreamsSdkFlowThroughTheRouter() throws Exception {
    awaitReadyMembers(c, ns, "rt", 1, 120);
    c.resources(SandboxClaim.class).inNamespace(ns).resource(claim(ns, "sdk", "rt")).create();
    String sandbox = awaitBound(c, ns, "sdk", 60).getStatus().getSandbox().getName();
    Map<String, String> h = new LinkedHashMap<>();
    h.put("X-Sandbox-ID", sandbox);
    h.put("X-Sandbox-Namespace", ns);
    h.put("X-Sandbox-Port", "8888");

    // execute
    HttpResponse<byte[]> r =
        send(
            routed("/execute", h)
                .header("content-type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"command\":\"echo hello; uname -r; echo oops >&2; exit 3\"}")),
            null);
    assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
    JsonNode ex = JSON.readTree(r.body());
    assertThat(ex.get("stdout").asText()).isEqualTo("hello\n4.4.0\n");
    assertThat(ex.get("stderr").asText()).isEqualTo("oops\n");
    assertThat(ex.get("exit_code").asInt()).isEqualTo(3);

    // upload: multipart, part "file", its filename the path relative to the workspace
    byte[] content = "print('from the sdk')\n".getBytes(StandardCharsets.UTF_8);
    String boundary = "----e2e" + System.nanoTime();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(
        ("--"
                + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"src/app.py\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n")
            .getBytes(StandardCharsets.UTF_8));
    body.write(content);
    body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    r =
        send(
            routed("/upload", h)
                .header("content-type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())),
            null);
    assertThat(r.statusCode()).as(text(r)).isEqualTo(200);

    // download: {path} is one URL-encoded segment
    r = send(routed("/download/" + enc("src/app.py"), h).GET(), null);
    assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
    assertThat(r.body()).isEqualTo(content);

    // list: a JSON array of {name, size, type, mod_time}
    r = send(routed("/list/" + enc("src"), h).GET(), null);
    assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
    JsonNode list = JSON.readTree(r.body());
    assertThat(list.isArray()).isTrue();
    assertThat(list).hasSize(1);
    assertThat(list.get(0).get("name").asText()).isEqualTo("app.py");
    assertThat(list.get(0).get("size").asLong()).isEqualTo(content.length);
    assertThat(list.get(0).get("type").asText()).isEqualTo("file");
    assertThat(list.get(0).get("mod_time").isNumber()).isTrue();

    // exists
    r = send(routed("/exists/" + enc("src/app.py"), h).GET(), null);
    assertThat(JSON.readTree(r.body()).get("exists").asBoolean()).isTrue();
    r = send(routed("/exists/" + enc("src/nope.py"), h).GET(), null);
    assertThat(JSON.readTree(r.body()).get("exists").asBoolean()).isFalse();
    // the file is really in the sandbox's workspace, and runs there
    r =
        send(
            routed("/execute", h)
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"command\":\"python3 src/app.py\"}")),
            null);
    assertThat(JSON.readTree(r.body()).get("stdout").asText()).isEqualTo("from the sdk\n");

    // traversal out of the workspace is refused through the router too
    r = send(routed("/download/" + enc("../etc/passwd"), h).GET(), null);
    assertThat(r.statusCode()).isBetween(400, 404);

    // delete the claim: its sandbox goes, and the router no longer reaches it
    c.resources(SandboxClaim.class).inNamespace(ns).withName("sdk").delete();
    await(
        60,
        "sandbox " + sandbox + " of the deleted claim gone or going",
        () -> {
          Pod p = c.pods().inNamespace(ns).withName(sandbox).get();
          return p == null || p.getMetadata().getDeletionTimestamp() != null;
        });
    r = send(routed("/exists/" + enc("src/app.py"), h).GET(), null);
    assertThat(r.statusCode()).isIn(404, 409, 502, 503);
  }

  private HttpRequest.Builder routed(String path, Map<String, String> headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(controller.uri(path)).timeout(Duration.ofSeconds(60));
    headers.forEach(b::header);
    return b;
  }

  private static HttpResponse<byte[]> send(HttpRequest.Builder b, Void unused) throws Exception {
    return HTTP.send(
        b.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static String enc(String path) {
    return URLEncoder.encode(path, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String text(HttpResponse<byte[]> r) {
    return r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8);
  }
}
