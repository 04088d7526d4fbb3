package io.agentsandbox.e2e;

import static io.agentsandbox.e2e.RealNode.deleteNamespace;
import static io.agentsandbox.e2e.RealNode.installCrds;
import static io.agentsandbox.e2e.RealNode.newNamespace;

import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * What an E2E test class sets up on the real node: an admin client, the CRDs, a fresh namespace and
 * the controller (its own JVM) watching it. {@link #close()} stops the controller, deletes the
 * namespace and closes the client. Only the test thread uses it.
 */
public record NodeSession(KubernetesClient client, String ns, Controller controller)
    implements AutoCloseable {

  /**
   * Namespace {@code nsPrefix}-random, controller {@code controllerName}; on failure undoes what it
   * did.
   */
  public static NodeSession open(String nsPrefix, String controllerName) throws Exception {
    KubernetesClient c = RealNode.client();
    String ns = null;
    try {
      installCrds(c);
      ns = newNamespace(c, nsPrefix);
      return new NodeSession(c, ns, Controller.start(ns, controllerName));
    } catch (Exception | Error e) {
      if (ns != null) deleteNamespace(c, ns);
      c.close();
      throw e;
    }
  }

  @Override
  public void close() throws Exception {
    controller.close();
    deleteNamespace(client, ns);
    client.close();
  }
}
