package io.agentsandbox.scheduler.backend.local;

import io.agentsandbox.core.model.ExecResult;
import io.agentsandbox.core.port.SandboxExecutor;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs one host process to completion with bounded output: stdout is read on the calling thread,
 * stderr on a thread of {@code pumps}. Blocking: call only from the local backend's worker threads.
 * Stateless; any worker thread.
 */
final class ProcessRunner {

  private static final File DEV_NULL = new File("/dev/null");

  private final Executor pumps;

  ProcessRunner(Executor pumps) {
    this.pumps = pumps;
  }

  /**
   * Runs {@code command}; kills its whole process tree if it is still running after {@code
   * hardTimeoutMs}.
   *
   * @param stdin file fed to stdin, or null for {@code /dev/null}
   * @param env the complete environment, or null to inherit the server's
   * @param outputLimit bytes of stdout and of stderr kept
   * @throws IOException when the process cannot be started
   */
  ExecResult run(
      List<String> command,
      File stdin,
      Map<String, String> env,
      int outputLimit,
      long hardTimeoutMs)
      throws IOException {
    return run(command, stdin, env, outputLimit, hardTimeoutMs, null);
  }

  /**
   * Like {@link #run(List, File, Map, int, long)}, and hands each chunk kept (within the limit) to
   * {@code listener} as it is read, from the pump threads; every call happens before this returns.
   */
  ExecResult run(
      List<String> command,
      File stdin,
      Map<String, String> env,
      int outputLimit,
      long hardTimeoutMs,
      SandboxExecutor.OutputListener listener)
      throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectInput(stdin == null ? DEV_NULL : stdin);
    if (env != null) {
      pb.environment().clear();
      pb.environment().putAll(env);
    }
    long start = System.nanoTime();
    Process p = pb.start();
    BoundedSink out = new BoundedSink(outputLimit, listener, false);
    BoundedSink err = new BoundedSink(outputLimit, listener, true);
    FutureTask<Void> outPump = pump(p.getInputStream(), out);
    FutureTask<Void> errPump = pump(p.getErrorStream(), err);
    try {
      pumps.execute(outPump);
      pumps.execute(errPump);
    } catch (RuntimeException e) {
      destroyTree(p);
      throw new IOException("no thread to read the output: " + e);
    }
    boolean killed = false;
    long duration;
    try {
      if (!p.waitFor(hardTimeoutMs, TimeUnit.MILLISECONDS)) {
        killed = true;
        destroyTree(p);
        p.waitFor(5, TimeUnit.SECONDS);
      }
      duration = System.nanoTime() - start;
      // The pipes reach EOF when the last writer is gone. A background grandchild that keeps them
      // open does not hold the answer: take what was read so far.
      await(outPump, PUMP_GRACE_MS);
      await(errPump, PUMP_GRACE_MS);
      // A pump still running (output held open by a grandchild) must not reach the listener any
      // more.
      out.close();
      err.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      destroyTree(p);
      throw new IOException("interrupted");
    }
    int code = p.isAlive() ? 137 : p.exitValue();
    return new ExecResult(
        code,
        out.bytes(),
        err.bytes(),
        out.truncated(),
        err.truncated(),
        killed,
        duration,
        false,
        null);
  }

  private static final long PUMP_GRACE_MS = 1_000;

  private static FutureTask<Void> pump(InputStream in, BoundedSink sink) {
    return new FutureTask<>(
        () -> {
          try (in) {
            sink.drain(in);
          }
          return null;
        });
  }

  private static void await(FutureTask<Void> pump, long ms) throws InterruptedException {
    try {
      pump.get(ms, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      // keep what was read
    }
  }

  /** Kills a process and every descendant it still has. */
  static void destroyTree(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
  }

  /** Keeps the first {@code limit} bytes, counts the rest. */
  static final class BoundedSink {
    private final int limit;
    private final SandboxExecutor.OutputListener listener;
    private final boolean stderr;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private boolean truncated;
    private boolean closed;

    BoundedSink(int limit) {
      this(limit, null, false);
    }

    BoundedSink(int limit, SandboxExecutor.OutputListener listener, boolean stderr) {
      this.limit = limit;
      this.listener = listener;
      this.stderr = stderr;
    }

    synchronized void write(byte[] b, int n) {
      if (closed) return;
      int room = limit - kept.size();
      int keep = Math.min(Math.max(room, 0), n);
      if (keep > 0) {
        kept.write(b, 0, keep);
        if (listener != null) listener.onOutput(stderr, java.util.Arrays.copyOf(b, keep));
      }
      if (keep < n) truncated = true;
    }

    synchronized void close() {
      closed = true;
    }

    void drain(InputStream in) throws IOException {
      byte[] buf = new byte[8192];
      int n;
      while ((n = in.read(buf)) >= 0) {
        if (n > 0) write(buf, n);
      }
    }

    synchronized byte[] bytes() {
      return kept.toByteArray();
    }

    synchronized boolean truncated() {
      return truncated;
    }
  }
}
