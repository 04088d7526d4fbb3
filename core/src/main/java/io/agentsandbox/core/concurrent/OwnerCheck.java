package io.agentsandbox.core.concurrent;

/**
 * Remembers the one thread that owns some state. Bound once, outside any {@code assert}, by the
 * owner's own entry point ({@link MpscInbox#drain}, a shard's tick); read by {@code assert
 * ownerCheck.isOwnerThread()} at owner-only entry points and by same-thread shortcuts, so the
 * shortcut works the same with assertions on and off.
 *
 * <p>A Vert.x event-loop context always runs on the same thread, so the first thread that enters is
 * the context's thread.
 */
public final class OwnerCheck {

  // Any thread (published)
  private volatile Thread owner;

  /**
   * Binds the calling thread as the owner if none is bound yet. Owner thread only: call it at the
   * top of every turn the owner runs (one volatile read once bound).
   *
   * @return true when the calling thread is (now) the owner
   */
  public boolean enter() {
    Thread current = Thread.currentThread();
    Thread o = owner;
    if (o == null) {
      owner = current;
      return true;
    }
    return o == current;
  }

  /** True when an owner is bound and it is the calling thread; never binds. Any thread. */
  public boolean isOwnerThread() {
    return owner == Thread.currentThread();
  }

  /** True once an owner is bound. Any thread. */
  public boolean isBound() {
    return owner != null;
  }
}
