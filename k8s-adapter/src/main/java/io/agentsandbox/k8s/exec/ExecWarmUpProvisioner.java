package io.agentsandbox.k8s.exec;

import io.agentsandbox.core.model.ExecRequest;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxBlueprint;
import io.agentsandbox.core.model.SandboxRef;
import io.agentsandbox.core.port.ProvisionListener;
import io.agentsandbox.core.port.SandboxExecutor;
import io.agentsandbox.core.port.SandboxProvisioner;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A provisioner that runs one no-op exec ({@code true}) in every sandbox it started before it
 * reports the sandbox ready, so that a claimer's first exec does not pay the runtime's first-exec
 * cost (gVisor: the first {@code runsc exec} in a fresh sentry loads {@code /bin/sh} and friends
 * through the gofer, ~0.5 s on the real node against ~0.2 s for later execs).
 *
 * <p>Everything else goes straight to the delegate. The warm-up's outcome does not matter: whether
 * it succeeds, fails or times out, the sandbox is then reported ready as the delegate said (a
 * sandbox whose exec cannot work is no worse off than without the warm-up). An {@code
 * onSandboxFailed} or {@code onSandboxDeleted} for a sandbox still warming up is passed on at once
 * and its pending ready report is dropped, as is the pending report of a sandbox {@link #delete}d
 * meanwhile, so the listener never sees ready after failed or after a delete.
 *
 * <p>Threads: thread-safe. The delegate's callbacks arrive on its threads (e.g. the informer's);
 * the warm-up exec is started from there (the executor returns at once) and the delayed ready
 * report is delivered on the executor's completion thread. The listener must therefore accept calls
 * from any thread (the shard's inbox listener does).
 */
public final class ExecWarmUpProvisioner implements SandboxProvisioner {

  private static final Logger LOG = LoggerFactory.getLogger(ExecWarmUpProvisioner.class);

  /** The warm-up command: a no-op. */
  static final List<String> COMMAND = List.of("true");

  private final SandboxProvisioner delegate;
  private final SandboxExecutor executor;
  private final long timeoutMs;

  /** Sandboxes warming up now (their ready report is pending), by pool and name. */
  private final ConcurrentHashMap<Key, Boolean> warming = new ConcurrentHashMap<>();

  private final AtomicLong warmedUp = new AtomicLong();

  private record Key(PoolKey pool, String name) {}

  /**
   * @param delegate the provisioner that starts the sandboxes
   * @param executor runs the warm-up exec
   * @param timeoutMs the warm-up exec's deadline; the sandbox is reported ready at the latest then
   */
  public ExecWarmUpProvisioner(
      SandboxProvisioner delegate, SandboxExecutor executor, long timeoutMs) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    this.executor = Objects.requireNonNull(executor, "executor");
    if (timeoutMs < 1) throw new IllegalArgumentException("timeoutMs must be >= 1: " + timeoutMs);
    this.timeoutMs = timeoutMs;
  }

  @Override
  public void create(
      PoolKey pool, String sandboxName, SandboxBlueprint blueprint, ProvisionListener listener) {
    RuntimeClass runtimeClass = blueprint.runtimeClass();
    delegate.create(
        pool,
        sandboxName,
        blueprint,
        new ProvisionListener() {
          @Override
          public void onSandboxReady(PoolKey p, String name, List<String> addresses) {
            warmUp(p, name, runtimeClass, addresses, listener);
          }

          @Override
          public void onSandboxFailed(PoolKey p, String name, String reason) {
            warming.remove(new Key(p, name));
            listener.onSandboxFailed(p, name, reason);
          }

          @Override
          public void onSandboxDeleted(PoolKey p, String name) {
            warming.remove(new Key(p, name));
            listener.onSandboxDeleted(p, name);
          }
        });
  }

  private void warmUp(
      PoolKey pool,
      String name,
      RuntimeClass runtimeClass,
      List<String> addresses,
      ProvisionListener listener) {
    Key key = new Key(pool, name);
    warming.put(key, Boolean.TRUE);
    long t0 = System.nanoTime();
    try {
      executor
          .exec(
              new SandboxRef(name, pool, runtimeClass, addresses, delegate.backendName()),
              new ExecRequest(COMMAND, null, null, null, timeoutMs))
          .whenComplete(
              (r, t) -> {
                if (LOG.isDebugEnabled()) {
                  LOG.debug(
                      "warm-up exec in {}/{}: {} in {} ms",
                      pool,
                      name,
                      t == null ? "exit " + r.exitCode() : t.toString(),
                      (System.nanoTime() - t0) / 1_000_000);
                }
                warmedUp.incrementAndGet();
                // only if nothing failed or deleted it meanwhile
                if (warming.remove(key) != null) listener.onSandboxReady(pool, name, addresses);
              });
    } catch (RuntimeException e) {
      LOG.debug("warm-up exec in {}/{} not started: {}", pool, name, e.toString());
      if (warming.remove(key) != null) listener.onSandboxReady(pool, name, addresses);
    }
  }

  /** Sandboxes whose warm-up exec has finished (any outcome) since start. Any thread. */
  public long warmedUp() {
    return warmedUp.get();
  }

  @Override
  public void delete(PoolKey pool, String sandboxName, ProvisionListener listener) {
    warming.remove(new Key(pool, sandboxName)); // its pending ready report is dropped
    delegate.delete(pool, sandboxName, listener);
  }

  @Override
  public String backendName() {
    return delegate.backendName();
  }

  @Override
  public String unavailableReason(RuntimeClass runtimeClass) {
    return delegate.unavailableReason(runtimeClass);
  }

  @Override
  public boolean isSimulated() {
    return delegate.isSimulated();
  }
}
