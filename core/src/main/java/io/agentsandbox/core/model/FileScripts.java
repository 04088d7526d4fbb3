package io.agentsandbox.core.model;

import java.util.List;

/**
 * The API's file operations as commands: a small {@code /bin/sh} script run inside the sandbox
 * resolves the path there, so a symlink planted in the workspace cannot make the server touch a
 * host file. A backend whose sandboxes have an agent recognises these commands ({@link #parse}) and
 * sends them to the agent's file routes instead, answering with the same exit codes. Stateless.
 */
public final class FileScripts {

  private FileScripts() {}

  /** Exit status: the path resolves outside the workspace. */
  public static final int EXIT_ESCAPES = 3;

  /** Exit status: no such file. */
  public static final int EXIT_NOT_FOUND = 4;

  /** Exit status: the path is a directory. */
  public static final int EXIT_IS_DIRECTORY = 5;

  /** Exit status: the path is not a regular file. */
  public static final int EXIT_NOT_REGULAR = 6;

  // Scripts run by /bin/sh inside the sandbox; $1 is /workspace/<path>. POSIX sh plus cat,
  // dirname, basename, mkdir, rm and `readlink -f` (GNU coreutils or busybox: busybox's realpath
  // has no -e, so `realpath -e X` is spelled `[ -e X ] && readlink -f -- X`, the same check).

  /** Reads {@code $1}: its bytes on stdout. */
  public static final String READ =
      "f=$([ -e \"$1\" ] && readlink -f -- \"$1\" 2>/dev/null) || exit 4; "
          + "case \"$f\" in /workspace/*) ;; *) exit 3;; esac; "
          + "[ -d \"$f\" ] && exit 5; [ -f \"$f\" ] || exit 6; exec cat -- \"$f\"";

  /** Writes stdin to {@code $1}, creating its parent directories. */
  public static final String WRITE =
      "d=$(dirname -- \"$1\"); mkdir -p -- \"$d\" 2>/dev/null; "
          + "r=$([ -e \"$d\" ] && readlink -f -- \"$d\" 2>/dev/null) || exit 4; "
          + "case \"$r/\" in /workspace/*) ;; *) exit 3;; esac; t=\"$r/$(basename -- \"$1\")\"; "
          + "[ -L \"$t\" ] && exit 3; [ -d \"$t\" ] && exit 5; "
          + "cat > \"$t\"";

  /** Deletes {@code $1} (a tree, or a link but never its target). */
  public static final String DELETE =
      "d=$(p=$(dirname -- \"$1\"); [ -e \"$p\" ] && readlink -f -- \"$p\" 2>/dev/null) || exit 4; "
          + "case \"$d/\" in /workspace/*) ;; *) exit 3;; esac; "
          + "t=\"$d/$(basename -- \"$1\")\"; [ \"$t\" = /workspace ] && exit 3; "
          + "{ [ -e \"$t\" ] || [ -L \"$t\" ]; } || exit 4; rm -rf -- \"$t\"";

  /** What a file command does. */
  public enum Kind {
    READ,
    WRITE,
    DELETE
  }

  /**
   * A file command.
   *
   * @param kind what it does
   * @param relativePath the path relative to {@link ExecRequest#WORKSPACE}
   */
  public record FileOp(Kind kind, String relativePath) {}

  /** The command that performs {@code kind} on {@code absolutePath} (under the workspace). */
  public static List<String> command(Kind kind, String absolutePath) {
    String script =
        switch (kind) {
          case READ -> READ;
          case WRITE -> WRITE;
          case DELETE -> DELETE;
        };
    return List.of("/bin/sh", "-c", script, "sh", absolutePath);
  }

  /** The file operation {@code request} performs, or null when it is any other command. */
  public static FileOp parse(ExecRequest request) {
    List<String> c = request.command();
    if (c.size() != 5 || !c.get(0).equals("/bin/sh") || !c.get(1).equals("-c")) return null;
    if (!c.get(3).equals("sh") || !c.get(4).startsWith(ExecRequest.WORKSPACE + "/")) return null;
    String rel = c.get(4).substring(ExecRequest.WORKSPACE.length() + 1);
    if (rel.isEmpty()) return null;
    String script = c.get(2);
    Kind kind;
    if (script.equals(READ)) kind = Kind.READ;
    else if (script.equals(WRITE)) kind = Kind.WRITE;
    else if (script.equals(DELETE)) kind = Kind.DELETE;
    else return null;
    return new FileOp(kind, rel);
  }
}
