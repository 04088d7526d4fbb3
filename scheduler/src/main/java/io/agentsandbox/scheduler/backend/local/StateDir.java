package io.agentsandbox.scheduler.backend.local;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * The local backend's state directory, locked against a second server: {@code lock}, {@code
 * sandboxes/} (one directory per sandbox, see {@link SandboxStore}), {@code runsc/} (runsc's {@code
 * --root}) and {@code rootfs/} (the read-only root skeleton of gVisor sandboxes). Opened and closed
 * by the thread that opens or closes the backend; its paths are immutable.
 */
final class StateDir implements AutoCloseable {

  private final Path dir;
  private final FileChannel lockChannel;
  private final FileLock lock;

  private StateDir(Path dir, FileChannel lockChannel, FileLock lock) {
    this.dir = dir;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /**
   * Creates (if missing) and locks the directory, and lays out its subdirectories and the rootfs
   * skeleton. Blocking.
   *
   * @throws IllegalStateException when it cannot be used or another server holds the lock
   */
  static StateDir open(Path configured, HostRoot host) {
    Path dir = configured.toAbsolutePath().normalize();
    FileChannel ch = null;
    try {
      Files.createDirectories(dir);
      ch =
          FileChannel.open(
              dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        ch.close();
        throw new IllegalStateException(
            "state dir "
                + dir
                + " is in use by another agent-sandbox server ("
                + dir.resolve("lock")
                + " is locked)");
      }
      StateDir s = new StateDir(dir, ch, lock);
      s.layOut(host);
      return s;
    } catch (IOException e) {
      closeQuietly(ch);
      throw new IllegalStateException("cannot use state dir " + dir + ": " + e.getMessage(), e);
    }
  }

  Path path() {
    return dir;
  }

  Path sandboxes() {
    return dir.resolve("sandboxes");
  }

  Path runscRoot() {
    return dir.resolve("runsc");
  }

  Path rootfs() {
    return dir.resolve("rootfs");
  }

  /** Builds the directories and the rootfs skeleton (kept, not rebuilt: kept sandboxes use it). */
  private void layOut(HostRoot host) throws IOException {
    Files.createDirectories(sandboxes());
    Files.setPosixFilePermissions(sandboxes(), PosixFilePermissions.fromString("rwx--x--x"));
    Files.createDirectories(runscRoot());
    Files.setPosixFilePermissions(runscRoot(), PosixFilePermissions.fromString("rwx------"));
    Path rootfs = rootfs();
    Files.createDirectories(rootfs);
    for (HostRoot.Entry e : host.entries()) {
      Path skeleton = rootfs.resolve(e.name());
      if (e.isSymlink()) {
        if (!Files.exists(skeleton, LinkOption.NOFOLLOW_LINKS))
          Files.createSymbolicLink(skeleton, Path.of(e.symlinkTarget()));
      } else if (e.isSharedDir()) {
        Files.createDirectories(skeleton);
      }
    }
    for (String d : List.of("proc", "tmp", "dev", "sys", "workspace", "run/agent", "run/agent-bin"))
      Files.createDirectories(rootfs.resolve(d));
    Files.setPosixFilePermissions(rootfs, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  /**
   * Why the sandbox user cannot walk down to the workspaces (bubblewrap runs as that user when the
   * server runs as root), or null: every ancestor of the state dir needs o+x.
   */
  String unreachableBySandboxUser() {
    for (Path p = dir; p != null; p = p.getParent()) {
      try {
        if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
          return "the state dir "
              + dir
              + " is not reachable by the sandbox user (uid "
              + SandboxEnv.SANDBOX_UID
              + "): "
              + p
              + " lacks o+x; use a --state-dir whose parent directories are world-searchable"
              + " (e.g. /var/lib/agent-sandbox)";
        }
      } catch (IOException e) {
        return "cannot inspect " + p + ": " + e.getMessage();
      }
    }
    return null;
  }

  /** Releases the lock. Idempotent. */
  @Override
  public void close() {
    try {
      if (lock.isValid()) lock.release();
    } catch (IOException e) {
      // closing anyway
    }
    closeQuietly(lockChannel);
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch == null) return;
    try {
      ch.close();
    } catch (IOException e) {
      // ignore
    }
  }
}
