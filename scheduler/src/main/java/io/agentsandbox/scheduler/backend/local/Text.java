package io.agentsandbox.scheduler.backend.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Short excerpts of process output and logs for messages. Stateless. */
final class Text {
  private Text() {}

  /** The first line of some output, at most 300 characters. */
  static String firstLine(byte[] b) {
    String s = new String(b, StandardCharsets.UTF_8).strip();
    int nl = s.indexOf('\n');
    s = nl < 0 ? s : s.substring(0, nl);
    return s.length() > 300 ? s.substring(0, 300) : s;
  }

  /** The last 300 characters of a log, or "" when it cannot be read. */
  static String tail(Path log) {
    try {
      String s = Files.readString(log).strip();
      return s.length() > 300 ? s.substring(s.length() - 300) : s;
    } catch (IOException e) {
      return "";
    }
  }
}
