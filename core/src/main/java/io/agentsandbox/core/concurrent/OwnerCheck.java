package io.agentsandbox.core.concurrent;

/**
 * Remembers the one thread that owns some state, for {@code assert ownerCheck.isOwnerThread()} at
 * owner-only entry points (assertions are on in tests, free in production).
 *
 * <p>The owner is the first thread that asks; a Vert.x context always runs on the same event-loop
 * thread, so that is the context's thread.
 */
public final class OwnerCheck {

  // Any thread (published)
  private volatile Thread owner;

  /** True when the calling thread is the owner, binding the owner on the first call. */
  public boolean isOwnerThread() {
    Thread current = Thread.currentThread();
    Thread o = owner;
    if (o == null) {
      owner = current;
      return true;
    }
    return o == current;
  }

  /** True when the owner is known and is the calling thread; never binds. */
  public boolean isBoundTo(Thread thread) {
    return owner == thread;
  }
}
