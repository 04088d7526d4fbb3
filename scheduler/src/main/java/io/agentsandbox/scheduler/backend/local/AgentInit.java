package io.agentsandbox.scheduler.backend.local;

import io.agentsandbox.core.model.ExecRequest;
import io.agentsandbox.core.model.SandboxBlueprint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The in-sandbox agent as a sandbox's init: it listens on {@code /run/agent/agent.sock} (the
 * sandbox's {@code run/} directory on the host, bound read-write) and runs the template's command,
 * if any, as its child. Its binary's directory is bound read-only at {@code /run/agent-bin}.
 *
 * <p>Each sandbox has its own random secret: the server's copy is {@code agent.secret} (mode 0600)
 * in the sandbox's directory, which the sandbox never sees; the agent reads a copy from {@code
 * run/agent.secret} at start, which the server deletes as soon as the agent answers, before any
 * command of the API runs. Immutable; any thread.
 */
final class AgentInit implements SandboxInit {

  /** Where the sandbox's run directory appears inside it. */
  static final String RUN_MOUNT = "/run/agent";

  /** Where the binary's directory appears inside the sandbox. */
  static final String BIN_MOUNT = "/run/agent-bin";

  /** The socket's name in the run directory. */
  static final String SOCKET = "agent.sock";

  /** The secret's file name in the sandbox's directory and (until the agent answers) run/. */
  static final String SECRET = "agent.secret";

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Path binary;
  private final int maxOutputBytes;

  /**
   * @param binary the agent's static binary on the host
   * @param maxOutputBytes the most output kept per stream of a command
   */
  AgentInit(Path binary, int maxOutputBytes) {
    this.binary = binary.toAbsolutePath();
    this.maxOutputBytes = maxOutputBytes;
  }

  /** The host directory holding a sandbox's agent socket. */
  static Path runDir(Path sandboxDir) {
    return sandboxDir.resolve("run");
  }

  /** The host path of a sandbox's agent socket. */
  static Path socket(Path sandboxDir) {
    return runDir(sandboxDir).resolve(SOCKET);
  }

  @Override
  public List<String> argv(SandboxBlueprint bp) {
    List<String> cmd = new ArrayList<>();
    cmd.add(BIN_MOUNT + "/" + binary.getFileName());
    cmd.add("--listen");
    cmd.add("unix:" + RUN_MOUNT + "/" + SOCKET);
    cmd.add("--secret-file");
    cmd.add(RUN_MOUNT + "/" + SECRET);
    cmd.add("--workspace");
    cmd.add(ExecRequest.WORKSPACE);
    cmd.add("--max-output-bytes");
    cmd.add(Integer.toString(maxOutputBytes));
    // Exec bodies carry stdin and file uploads; the HTTP layer bounds them first.
    cmd.add("--max-body-bytes");
    cmd.add(Long.toString(Math.max(64L << 20, 2L * maxOutputBytes)));
    cmd.add("--max-file-bytes");
    cmd.add(Long.toString(Math.max(256L << 20, 2L * maxOutputBytes)));
    // Without a command of its own the agent is the sandbox's only long-lived process.
    if (!bp.command().isEmpty() || !bp.args().isEmpty()) {
      cmd.add("--");
      cmd.addAll(bp.command());
      cmd.addAll(bp.args());
    }
    return cmd;
  }

  @Override
  public List<Bind> binds(Path sandboxDir) {
    return List.of(
        new Bind(runDir(sandboxDir), RUN_MOUNT, false),
        new Bind(binary.getParent(), BIN_MOUNT, true));
  }

  @Override
  public boolean hasAgent() {
    return true;
  }

  /**
   * Prepares a sandbox's run directory (0700) and a fresh secret: the server's copy (0600) and the
   * agent's (0400, owned by the sandbox's user when {@code sandboxUid} is not negative). Blocking.
   *
   * @return the secret
   */
  static String prepare(Path sandboxDir, int sandboxUid) throws IOException {
    byte[] raw = new byte[32];
    RANDOM.nextBytes(raw);
    String secret = HexFormat.of().formatHex(raw);
    Path run = runDir(sandboxDir);
    Files.createDirectories(run);
    Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwx------"));
    writePrivate(sandboxDir.resolve(SECRET), secret, "rw-------");
    Path agentCopy = run.resolve(SECRET);
    writePrivate(agentCopy, secret, "r--------");
    if (sandboxUid >= 0) {
      for (Path p : List.of(run, agentCopy)) {
        Files.setAttribute(p, "unix:uid", sandboxUid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", sandboxUid, LinkOption.NOFOLLOW_LINKS);
      }
    }
    return secret;
  }

  /** Deletes the agent's copy of the secret (it has read it once it answers). Blocking. */
  static void forgetAgentCopy(Path sandboxDir) throws IOException {
    Files.deleteIfExists(runDir(sandboxDir).resolve(SECRET));
  }

  /**
   * The secret of a sandbox of a previous run, or null when it was started without the agent.
   * Blocking.
   */
  static String readSecret(Path sandboxDir) throws IOException {
    try {
      String s = Files.readString(sandboxDir.resolve(SECRET), StandardCharsets.US_ASCII).strip();
      return s.isEmpty() ? null : s;
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  private static void writePrivate(Path file, String content, String mode) throws IOException {
    Files.deleteIfExists(file);
    Files.createFile(
        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(
        file, content, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
  }
}
