package io.agentsandbox.core.testing;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.port.ProvisionListener;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Records provisioner callbacks, with the thread each came on. Thread-safe. */
public final class RecordingListener implements ProvisionListener {

  public record Event(
      String kind,
      PoolKey pool,
      String name,
      List<String> addresses,
      String reason,
      String thread) {}

  private final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();

  @Override
  public void onSandboxReady(PoolKey pool, String sandboxName, List<String> addresses) {
    events.add(
        new Event("ready", pool, sandboxName, addresses, null, Thread.currentThread().getName()));
  }

  @Override
  public void onSandboxFailed(PoolKey pool, String sandboxName, String reason) {
    events.add(
        new Event(
            "failed", pool, sandboxName, List.of(), reason, Thread.currentThread().getName()));
  }

  @Override
  public void onSandboxDeleted(PoolKey pool, String sandboxName) {
    events.add(
        new Event("deleted", pool, sandboxName, List.of(), null, Thread.currentThread().getName()));
  }

  /** The next event, waiting at most {@code seconds}; fails the test on timeout. */
  public Event next(long seconds) throws InterruptedException {
    Event e = events.poll(seconds, TimeUnit.SECONDS);
    if (e == null) throw new AssertionError("no provisioner callback within " + seconds + " s");
    return e;
  }

  /** Events already delivered and not yet taken. */
  public List<Event> drained() {
    List<Event> out = new java.util.ArrayList<>();
    events.drainTo(out);
    return out;
  }
}
