package io.agentsandbox.k8s.testing;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.util.HashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * fabric8's CRUD mock server for tests whose code under test keeps watches open (informers), with a
 * stop that tolerates the mock's own close deadlock.
 *
 * <p>Why not {@code @EnableKubernetesMockClient}: when a client closes a watch while the mock is
 * still writing an event to it, the mock's {@code WatchEventsListener.onClosed} waits on its event
 * loop for its sender thread, which waits (30 s) for that same event loop to flush the write; the
 * server's close then times out after 10 s and the extension fails the test that had passed. It
 * happens on a loaded machine only, and in every fabric8 release through 8.0.0. Here the stop
 * reports it and goes on: the test's assertions have run by then.
 */
public final class CrudMockServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(CrudMockServer.class);

  private final KubernetesMockServer server;
  private final KubernetesClient client;

  public CrudMockServer() {
    server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesCrudDispatcher(),
            false);
    server.init();
    client = server.createClient();
  }

  public KubernetesClient client() {
    return client;
  }

  /** Requests the server has received so far. */
  public int requestCount() {
    return server.getRequestCount();
  }

  @Override
  public void close() {
    client.close();
    try {
      server.destroy();
    } catch (IllegalStateException e) {
      LOG.warn(
          "fabric8 mock server did not stop in time (its watch-close deadlock): {}", e.toString());
    }
  }
}
