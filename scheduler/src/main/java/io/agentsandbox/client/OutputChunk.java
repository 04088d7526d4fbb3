package io.agentsandbox.client;

/**
 * A piece of output of a streamed command ({@link SandboxHandle#execStream}), in the order the
 * server sent it.
 *
 * @param stream which stream it came from
 * @param data the text (UTF-8; a multi-byte character split between chunks shows as U+FFFD)
 */
public record OutputChunk(Stream stream, String data) {

  /** Standard output or standard error. */
  public enum Stream {
    STDOUT,
    STDERR
  }

  /** True for standard error. */
  public boolean isStderr() {
    return stream == Stream.STDERR;
  }
}
