package io.agentsandbox.scheduler.backend.local;

import io.agentsandbox.core.model.BindingRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sandboxes' directories in the state dir ({@code sandboxes/<id>/}): each holds {@code
 * meta.properties} ({@link SandboxMeta}), the claim's {@code binding.properties} (written durably
 * before the claim is acknowledged), a {@code released} marker once the claim ended, the workspace
 * and the runtime's files. Stateless over the file system; callers serialise writes to one
 * sandbox's directory (they hold the sandbox's monitor or are its lifecycle worker).
 */
final class SandboxStore {

  static final String META_FILE = "meta.properties";
  static final String BINDING_FILE = "binding.properties";
  static final String RELEASED_FILE = "released";

  private static final Logger LOG = LoggerFactory.getLogger(SandboxStore.class);

  private final Path root;

  /**
   * @param root the {@code sandboxes} directory
   */
  SandboxStore(Path root) {
    this.root = root;
  }

  Path root() {
    return root;
  }

  Path dirOf(String id) {
    return root.resolve(id);
  }

  /** Every sandbox directory, in no particular order. Blocking. */
  List<Path> list() {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
      for (Path dir : ds) out.add(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot scan " + root, e);
    }
    return out;
  }

  /** Replaces the metadata (temp file, atomic rename; not fsync'd: the PIDs die with the host). */
  void writeMeta(Path dir, SandboxMeta meta) throws IOException {
    Path tmp = dir.resolve(META_FILE + ".tmp");
    try (var w = Files.newBufferedWriter(tmp)) {
      MetaCodec.encode(meta).store(w, "agent-sandbox local sandbox");
    }
    Files.move(
        tmp,
        dir.resolve(META_FILE),
        StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
  }

  /** The raw metadata. */
  static Properties readMetaProperties(Path dir) throws IOException {
    Properties meta = new Properties();
    try (var r = Files.newBufferedReader(dir.resolve(META_FILE))) {
      meta.load(r);
    }
    return meta;
  }

  /** Makes a claim's binding durable in the sandbox's directory. */
  void writeBinding(Path dir, BindingRecord binding) throws IOException {
    var out = new ByteArrayOutputStream();
    MetaCodec.encode(binding)
        .store(new OutputStreamWriter(out, StandardCharsets.UTF_8), "agent-sandbox claim binding");
    writeDurably(dir.resolve(BINDING_FILE), out.toByteArray());
  }

  /** The binding in a sandbox's directory, or null when it has none. */
  static BindingRecord readBinding(Path dir) throws IOException {
    Path file = dir.resolve(BINDING_FILE);
    if (!Files.exists(file)) return null;
    Properties p = new Properties();
    try (var r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
    }
    try {
      return MetaCodec.decodeBinding(p);
    } catch (RuntimeException e) {
      throw new IOException("unreadable binding " + file + ": " + e, e);
    }
  }

  /** Marks a sandbox's claim ended, durably: it is never adopted again. */
  void markReleased(Path dir) throws IOException {
    writeDurably(dir.resolve(RELEASED_FILE), new byte[0]);
  }

  static boolean isReleased(Path dir) {
    return Files.exists(dir.resolve(RELEASED_FILE));
  }

  /**
   * Writes a file so that it survives a crash: temp file, fsync, atomic rename, fsync of the
   * directory.
   */
  static void writeDurably(Path target, byte[] bytes) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    try (FileChannel ch =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      while (buf.hasRemaining()) ch.write(buf);
      ch.force(true);
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel dir = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
      dir.force(true);
    } catch (IOException e) {
      // some file systems cannot fsync a directory; the rename is still atomic
    }
  }

  /** Deletes a directory tree without following symlinks; makes directories writable as needed. */
  static void deleteTree(Path dir) {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return;
    try {
      Files.walkFileTree(
          dir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
              d.toFile().setWritable(true, true);
              d.toFile().setExecutable(true, true);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
              Files.deleteIfExists(f);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
              Files.deleteIfExists(f);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
              Files.deleteIfExists(d);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (NoSuchFileException e) {
      // gone already
    } catch (IOException e) {
      LOG.warn("cannot remove {}: {}", dir, e.toString());
    }
  }
}
