package io.agentsandbox.scheduler.backend.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The host's top-level directory entries, from which a sandbox's root is built: the system
 * directories in {@link #HOST_DIRS} are bound read-only, top-level symlinks ({@code /bin ->
 * usr/bin}) are recreated, everything else is absent. Immutable.
 *
 * @param entries sorted by name
 */
record HostRoot(List<Entry> entries) {

  /** Host top-level directories a sandbox sees (read-only); everything else is absent. */
  static final Set<String> HOST_DIRS =
      Set.of("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "opt", "var");

  /**
   * One entry of {@code /}.
   *
   * @param symlinkTarget the link's target when it is a symlink, else null
   * @param directory true for a directory (not a symlink to one)
   */
  record Entry(String name, String symlinkTarget, boolean directory) {
    static Entry dir(String name) {
      return new Entry(name, null, true);
    }

    static Entry symlink(String name, String target) {
      return new Entry(name, target, false);
    }

    boolean isSymlink() {
      return symlinkTarget != null;
    }

    /** A system directory bound read-only into every sandbox. */
    boolean isSharedDir() {
      return !isSymlink() && directory && HOST_DIRS.contains(name);
    }

    String path() {
      return "/" + name;
    }
  }

  HostRoot {
    entries = List.copyOf(entries);
  }

  /** Reads {@code /} of this host. Blocking (file system). */
  static HostRoot scan() {
    List<Entry> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/"))) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        if (Files.isSymbolicLink(p)) {
          out.add(Entry.symlink(name, Files.readSymbolicLink(p).toString()));
        } else {
          out.add(new Entry(name, null, Files.isDirectory(p)));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.sort((a, b) -> a.name().compareTo(b.name()));
    return new HostRoot(out);
  }

  /**
   * The path to hide behind an empty tmpfs inside sandboxes when the state directory lies under a
   * host directory they see, else null.
   */
  static Path maskOf(Path stateDir) {
    if (stateDir.getNameCount() == 0) return null;
    return HOST_DIRS.contains(stateDir.getName(0).toString()) ? stateDir : null;
  }
}
