package io.agentsandbox.core.testing;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;

/** An executor whose tasks run only when the test calls {@link #runAll}. Single-threaded use. */
public final class ManualExecutor implements Executor {
  private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();

  @Override
  public void execute(Runnable task) {
    tasks.add(task);
  }

  /** Runs queued tasks (and the tasks they queue) until none is left; returns how many ran. */
  public int runAll() {
    int n = 0;
    Runnable r;
    while ((r = tasks.poll()) != null) {
      r.run();
      n++;
    }
    return n;
  }

  public int queued() {
    return tasks.size();
  }
}
