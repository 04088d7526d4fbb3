package io.agentsandbox.k8s.exec;

import io.agentsandbox.core.port.SandboxExecutor.OutputListener;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * Keeps the first {@code limit} bytes written, counts the rest; hands kept chunks to the listener.
 */
final class BoundedOutput extends OutputStream {
  private final int limit;
  private final OutputListener listener;
  private final boolean stderr;
  private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
  private boolean truncated;
  private boolean closed;

  BoundedOutput(int limit, OutputListener listener, boolean stderr) {
    this.limit = limit;
    this.listener = listener;
    this.stderr = stderr;
  }

  @Override
  public void write(int b) {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) {
    if (closed || len <= 0) return;
    int keep = Math.min(Math.max(limit - kept.size(), 0), len);
    if (keep > 0) {
      kept.write(b, off, keep);
      if (listener != null) listener.onOutput(stderr, Arrays.copyOfRange(b, off, off + keep));
    }
    if (keep < len) truncated = true;
  }

  /** No more output is kept or handed on (the stream may still write). */
  @Override
  public synchronized void close() {
    closed = true;
  }

  synchronized byte[] bytes() {
    return kept.toByteArray();
  }

  synchronized boolean truncated() {
    return truncated;
  }
}
