package io.agentsandbox.core.testing;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.SandboxBlueprint;
import io.agentsandbox.core.port.ProvisionListener;
import io.agentsandbox.core.port.SandboxProvisioner;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * An in-memory provisioner. With {@code autoReady} every create is reported ready at once (on the
 * calling thread); otherwise creates wait until the test calls {@link #readyAll} or {@link #fail}.
 * Deletes are reported at once. Thread-safe.
 */
public final class FakeProvisioner implements SandboxProvisioner {

  public record Created(
      PoolKey pool, String name, SandboxBlueprint blueprint, ProvisionListener listener) {}

  private final boolean autoReady;
  private final ConcurrentLinkedQueue<Created> waiting = new ConcurrentLinkedQueue<>();
  private final Map<String, Created> live = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<String> deleted = new ConcurrentLinkedQueue<>();

  public FakeProvisioner(boolean autoReady) {
    this.autoReady = autoReady;
  }

  @Override
  public void create(
      PoolKey pool, String name, SandboxBlueprint blueprint, ProvisionListener listener) {
    Created c = new Created(pool, name, blueprint, listener);
    live.put(name, c);
    if (autoReady) listener.onSandboxReady(pool, name, List.of("10.0.0.1"));
    else waiting.add(c);
  }

  @Override
  public void delete(PoolKey pool, String name, ProvisionListener listener) {
    live.remove(name);
    deleted.add(name);
    listener.onSandboxDeleted(pool, name);
  }

  @Override
  public String backendName() {
    return "fake";
  }

  @Override
  public boolean isSimulated() {
    return true;
  }

  /** Reports every waiting create as ready; returns how many. */
  public int readyAll() {
    int n = 0;
    Created c;
    while ((c = waiting.poll()) != null) {
      c.listener().onSandboxReady(c.pool(), c.name(), List.of("10.0.0." + (++n % 250)));
    }
    return n;
  }

  /** Reports every waiting create as failed; returns how many. */
  public int failAll(String reason) {
    int n = 0;
    Created c;
    while ((c = waiting.poll()) != null) {
      live.remove(c.name());
      c.listener().onSandboxFailed(c.pool(), c.name(), reason);
      n++;
    }
    return n;
  }

  public List<Created> waiting() {
    return new ArrayList<>(waiting);
  }

  public int liveCount() {
    return live.size();
  }

  public List<String> deleted() {
    return new ArrayList<>(deleted);
  }
}
