package io.agentsandbox.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The CLI's memory of the claims it made, so that {@code claim} then {@code exec CLAIM} works in a
 * shell without copying tokens: one JSON file per claim, {@code <dir>/<claimId>.json}, holding the
 * claim id, its sandbox, its token and the server's URL. The directory is {@code
 * $AGENT_SANDBOX_CLAIMS_DIR}, else {@code $XDG_CACHE_HOME/agent-sandbox/claims}, else {@code
 * ~/.cache/agent-sandbox/claims}; it is created 0700 and each file is written 0600 (atomically,
 * through a temporary file), since a token lets anyone run commands in the sandbox. Not
 * thread-safe; one CLI process at a time per claim.
 */
final class ClaimStore {

  /** A saved claim. */
  record Saved(
      String claimId, String sandbox, String token, String url, String pool, String tenant) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,252}");

  private final Path dir;

  ClaimStore(Path dir) {
    this.dir = dir;
  }

  /** The directory the environment names. */
  static ClaimStore fromEnvironment(Map<String, String> env) {
    String explicit = env.get("AGENT_SANDBOX_CLAIMS_DIR");
    if (explicit != null && !explicit.isBlank()) return new ClaimStore(Path.of(explicit));
    String xdg = env.get("XDG_CACHE_HOME");
    Path cache =
        xdg != null && !xdg.isBlank()
            ? Path.of(xdg)
            : Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), ".cache");
    return new ClaimStore(cache.resolve("agent-sandbox").resolve("claims"));
  }

  Path dir() {
    return dir;
  }

  /** The file of a claim id; refuses ids that are not plain names (no path tricks). */
  Path file(String claimId) {
    if (!ID.matcher(claimId).matches())
      throw new IllegalArgumentException("not a claim id: " + claimId);
    return dir.resolve(claimId + ".json");
  }

  /** Saves a claim, readable and writable by this user only. */
  Path save(Saved claim) throws IOException {
    createPrivateDir();
    Path target = file(claim.claimId());
    ObjectNode node = JSON.createObjectNode();
    node.put("claimId", claim.claimId());
    node.put("sandbox", claim.sandbox());
    node.put("token", claim.token());
    node.put("url", claim.url());
    node.put("pool", claim.pool());
    node.put("tenant", claim.tenant());
    Path tmp =
        Files.createTempFile(
            dir,
            "." + claim.claimId(),
            ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(node));
      try {
        Files.move(
            tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
    return target;
  }

  /** The saved claim of an id, if this user's CLI made it. */
  Optional<Saved> load(String claimId) throws IOException {
    Path f = file(claimId);
    JsonNode n;
    try {
      n = JSON.readTree(Files.readAllBytes(f));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    return Optional.of(
        new Saved(
            n.path("claimId").asText(claimId),
            n.path("sandbox").asText(null),
            n.path("token").asText(null),
            n.path("url").asText(null),
            n.path("pool").asText(null),
            n.path("tenant").asText(null)));
  }

  /** Forgets a claim (released, or gone on the server). */
  void delete(String claimId) throws IOException {
    Files.deleteIfExists(file(claimId));
  }

  private void createPrivateDir() throws IOException {
    if (Files.isDirectory(dir)) return;
    Files.createDirectories(dir.getParent());
    try {
      Files.createDirectory(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (FileAlreadyExistsException e) {
      // made meanwhile
    }
  }
}
