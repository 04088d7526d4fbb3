package io.agentsandbox.core.port;

import io.agentsandbox.core.model.BindingRecord;
import java.util.function.Consumer;

/**
 * Where claim bindings are made durable before the claim is acknowledged, so that a restart can
 * restore them. Thread-safe; every method returns at once (it may be called from an event loop,
 * which must never block).
 */
public interface BindingStore {

  /**
   * Keeps nothing: every binding is "durable" at once (in-memory only; claims do not survive a
   * restart).
   */
  BindingStore NOOP =
      new BindingStore() {
        @Override
        public void persist(BindingRecord binding, Consumer<Throwable> done) {
          done.accept(null);
        }

        @Override
        public void remove(String claimId) {}

        @Override
        public boolean isNoop() {
          return true;
        }
      };

  /**
   * Makes a binding durable. Returns at once.
   *
   * @param done called exactly once, on any thread (synchronously by {@link #NOOP}), with null once
   *     the binding is durable, or with the failure
   */
  void persist(BindingRecord binding, Consumer<Throwable> done);

  /**
   * Forgets a claim's binding (released, expired or failed). Returns at once; idempotent; unknown
   * ids are ignored.
   */
  void remove(String claimId);

  /** True when nothing is kept (callers may then skip the asynchronous hop). */
  default boolean isNoop() {
    return false;
  }
}
