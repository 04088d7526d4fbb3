package io.agentsandbox.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.util.List;

/** Prints what commands report: pretty JSON, or a table of left-aligned columns. */
final class Tables {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Tables() {}

  static void printJson(PrintWriter out, Object value) throws JsonProcessingException {
    out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(value));
  }

  /** Prints rows (the first a header) with columns two spaces apart. */
  static void printTable(PrintWriter out, List<String[]> rows) {
    int[] width = new int[rows.get(0).length];
    for (String[] r : rows)
      for (int i = 0; i < r.length; i++) width[i] = Math.max(width[i], r[i].length());
    for (String[] r : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < r.length; i++) {
        line.append(r[i]);
        if (i < r.length - 1) line.append(" ".repeat(width[i] - r[i].length() + 2));
      }
      out.println(line);
    }
  }
}
