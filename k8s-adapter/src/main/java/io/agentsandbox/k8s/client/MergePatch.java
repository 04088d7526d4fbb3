package io.agentsandbox.k8s.client;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A JSON merge patch (RFC 7386) as one request: {@code PATCH} with {@code
 * application/merge-patch+json} to an object or its subresource, and nothing else.
 *
 * <p>Why not fabric8's {@code withName(n).patch(PatchContext, String)}: it first reads the object
 * ({@code GET}), so every such write costs two round trips (one more on a claim's critical path)
 * and needs {@code get} on the resource besides {@code patch} (a chart without it gets 403, as the
 * pool status and template label writes did when the chart first ran for real). Used by the claim
 * status, binding journal, adoption, pool status, Sandbox status and template writers. Thread-safe;
 * blocks the calling thread for the request (bounded by the client's request timeout, 10 s at
 * least).
 */
public final class MergePatch {

  private MergePatch() {}

  /**
   * Patches {@code namespace/name} of {@code type} (or its {@code subresource}, e.g. "status").
   *
   * @param namespace null for a cluster-scoped type
   * @param subresource null for the object itself
   * @param body the merge patch, JSON
   * @return the object as the API server wrote it
   * @throws KubernetesClientException with the API server's status code (404, 409, 422, ...)
   */
  public static <T extends HasMetadata> T apply(
      KubernetesClient client,
      Class<T> type,
      String namespace,
      String name,
      String subresource,
      String body) {
    String url = url(client.getMasterUrl().toString(), type, namespace, name, subresource);
    HttpClient http = client.getHttpClient();
    HttpRequest request =
        http.newHttpRequestBuilder()
            .uri(url)
            .method("PATCH", "application/merge-patch+json", body)
            .build();
    long timeoutMs = Math.max(10_000, client.getConfiguration().getRequestTimeout());
    HttpResponse<String> r;
    try {
      r = http.sendAsync(request, String.class).get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KubernetesClientException("PATCH " + url + " interrupted", e);
    } catch (ExecutionException e) {
      throw new KubernetesClientException(
          "PATCH " + url + " failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new KubernetesClientException(
          "PATCH " + url + ": no answer within " + timeoutMs + " ms", e);
    }
    String text = r.body();
    if (!r.isSuccessful()) {
      Status status = null;
      try {
        status = client.getKubernetesSerialization().unmarshal(text, Status.class);
      } catch (RuntimeException e) {
        // not a Status: the code and the text say enough
      }
      if (status != null && status.getCode() != null) throw new KubernetesClientException(status);
      throw new KubernetesClientException(
          "PATCH " + url + ": " + r.code() + " " + text, r.code(), null);
    }
    return client.getKubernetesSerialization().unmarshal(text, type);
  }

  /** The object's URL under {@code masterUrl} (with or without a trailing slash). */
  static String url(
      String masterUrl,
      Class<? extends HasMetadata> type,
      String namespace,
      String name,
      String sub) {
    String group = HasMetadata.getGroup(type);
    String version = HasMetadata.getVersion(type);
    StringBuilder b = new StringBuilder(masterUrl);
    if (b.charAt(b.length() - 1) != '/') b.append('/');
    if (group == null || group.isEmpty()) b.append("api/").append(version);
    else b.append("apis/").append(group).append('/').append(version);
    if (namespace != null) b.append("/namespaces/").append(namespace);
    b.append('/').append(HasMetadata.getPlural(type)).append('/').append(name);
    if (sub != null) b.append('/').append(sub);
    return b.toString();
  }
}
