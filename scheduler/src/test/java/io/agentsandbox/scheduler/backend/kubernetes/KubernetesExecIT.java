package io.agentsandbox.scheduler.backend.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentsandbox.k8s.backend.KubernetesBackendConfig;
import io.agentsandbox.k8s.testing.ClusterFixtures;
import io.agentsandbox.k8s.testing.Kubelet;
import io.agentsandbox.k8s.testing.LocalApiServer;
import io.agentsandbox.k8s.testing.LocalApiServerExtension;
import io.agentsandbox.k8s.testing.LocalApiServerExtension.TestNamespace;
import io.agentsandbox.scheduler.SchedulerServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exec and files on {@code --backend kubernetes} against a real kube-apiserver, up to the API
 * server: the claim's token is required exactly as on the local backend, and with it the call
 * reaches {@code pods/exec}. There is no kubelet here (the test plays one by writing pod status),
 * so the API server cannot connect the stream: the answer must be a classified 409/502 naming the
 * pod, never a 500. The real exec is exercised by the e2e suite on a real node.
 */
@ExtendWith(LocalApiServerExtension.class)
class KubernetesExecIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;
  private SchedulerServer server;
  private Kubelet.Node kubelet;
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void tearDown() throws Exception {
    if (server != null)
      server.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    if (kubelet != null) kubelet.close();
  }

  @Test
  void execAndFilesNeedTheClaimTokenAndReachPodsExec(
      LocalApiServer api, KubernetesClient c, TestNamespace tns) throws Exception {
    String ns = tns.name();
    kubelet = Kubelet.play(c, ns, 2);
    ClusterFixtures.createTemplateAndPool(c, ns, "py", "py-pool", 1);
    // Without the in-sandbox agent (opt-in only): this test is about the pods/exec path, which
    // stays the fallback for pods without one. The agent path: AgentFirstExecutorTest, e2e.
    java.nio.file.Path kubeconfig = KubernetesBackendIT.writeKubeconfig(api, tmp);
    server =
        KubernetesBackendIT.start(
            api,
            kubeconfig,
            new KubernetesBackendConfig(
                kubeconfig,
                ns,
                false,
                KubernetesBackendConfig.DEFAULT_LEASE_NAME,
                null,
                null,
                null,
                null,
                false));
    ClusterFixtures.awaitPoolReady(c, ns, "py-pool", 1);

    HttpResponse<String> claimed =
        send("POST", "/v1/claims", null, "{\"pool\":\"" + ns + "/py-pool\",\"waitMs\":20000}");
    assertThat(claimed.statusCode()).as(claimed.body()).isEqualTo(201);
    JsonNode body = JSON.readTree(claimed.body());
    String sandbox = body.get("sandbox").get("name").asText();
    String token = body.get("token").asText();
    String exec = "/v1/sandboxes/" + sandbox + "/exec";
    String command = "{\"command\":[\"cat\",\"/proc/version\"]}";

    assertThat(send("POST", exec, null, command).statusCode()).isEqualTo(401);
    assertThat(send("POST", exec, "not-a-token", command).statusCode()).isEqualTo(401);

    HttpResponse<String> r = send("POST", exec, token, command);
    assertThat(r.statusCode()).as(r.body()).isIn(409, 410, 502);
    assertThat(r.body()).contains(ns + "/" + sandbox);

    HttpResponse<String> f =
        send("GET", "/v1/sandboxes/" + sandbox + "/files/notes.txt", token, null);
    assertThat(f.statusCode()).as(f.body()).isIn(409, 410, 502);
    assertThat(
            send("GET", "/v1/sandboxes/" + sandbox + "/files/../etc/passwd", token, null)
                .statusCode())
        .isEqualTo(400);

    // a restart of the process keeps the claim bound (SandboxClaim) and its token valid (key in
    // --state-dir)
    server.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    server = KubernetesBackendIT.start(api, tmp, ns);
    HttpResponse<String> again = send("POST", exec, token, command);
    assertThat(again.statusCode()).as(again.body()).isIn(409, 410, 502);

    assertThat(
            send("DELETE", "/v1/claims/" + body.get("claimId").asText(), null, null).statusCode())
        .isIn(200, 202, 204);
    assertThat(send("POST", exec, token, command).statusCode()).isEqualTo(404);
  }

  private HttpResponse<String> send(String method, String path, String token, String json)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
            .method(
                method,
                json == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(json));
    if (json != null) b.header("content-type", "application/json");
    if (token != null) b.header("Authorization", "Bearer " + token);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
