package io.agentsandbox.scheduler.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Claim tokens: {@code <claimId>.<base64url HMAC-SHA256(secret, claimId)>}, with a 256-bit secret
 * drawn once: per process ({@link #random}) or kept in a file of the state directory ({@link
 * #persistent}), so that tokens of claims restored after a restart still work. Only the claimant
 * learns its token (in the {@code 201}); exec and files calls must present it. Stateless to check
 * (no table of tokens); compared in constant time; never logged. Thread-safe: each thread keeps one
 * keyed {@link Mac} and reuses it (a {@code Mac.getInstance} per call cost a provider look-up and a
 * key schedule on the event loop for every claim).
 */
public final class ClaimTokens {

  private static final String ALGORITHM = "HmacSHA256";
  private final SecretKeySpec key;
  private final ThreadLocal<Mac> macs = ThreadLocal.withInitial(this::newMac);

  private ClaimTokens(byte[] secret) {
    this.key = new SecretKeySpec(secret, ALGORITHM);
    newMac(); // fails here, at start-up, if HmacSHA256 is unavailable
  }

  /** Tokens with a fresh random secret: tokens of an earlier server process are invalid. */
  public static ClaimTokens random() {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    return new ClaimTokens(secret);
  }

  /**
   * Tokens whose secret lives in {@code file} (mode 0600): read when it exists, else drawn and
   * written once (temp file created 0600, fsync, atomic rename). Blocking file I/O: call at
   * start-up only.
   *
   * @throws IllegalStateException when the file cannot be read or written, or is not a 32-byte key
   */
  public static ClaimTokens persistent(Path file) {
    return new ClaimTokens(persistentKey(file, "claim token key", 32, true));
  }

  /**
   * A 32-byte key kept in {@code file} (mode 0600): read when it exists, else drawn and written
   * once (temp file created 0600, fsync, atomic rename). Blocking file I/O: call at start-up only.
   *
   * @param what the key's name in error messages
   * @param minBytes shortest key accepted when the file exists
   * @param exact whether the key must be exactly {@code minBytes} long (else at least)
   * @throws IllegalStateException when the file cannot be read or written, or has the wrong length
   */
  public static byte[] persistentKey(Path file, String what, int minBytes, boolean exact) {
    try {
      if (!Files.exists(file)) {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(
            tmp,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
          ch.write(ByteBuffer.wrap(secret));
          ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
      }
      byte[] secret = Files.readAllBytes(file);
      if (exact ? secret.length != minBytes : secret.length < minBytes)
        throw new IllegalStateException(
            what
                + " "
                + file
                + (exact ? " is not " : " has fewer than ")
                + minBytes
                + " bytes ("
                + secret.length
                + "); delete it to draw a new one");
      return secret;
    } catch (IOException e) {
      throw new IllegalStateException("cannot use " + what + " " + file + ": " + e.getMessage(), e);
    }
  }

  /** The token of a claim. */
  public String token(String claimId) {
    return claimId + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(mac(claimId));
  }

  /** The claim id a token was minted for, or null when the token is not one of ours. */
  public String verify(String token) {
    if (token == null || token.length() > 200) return null;
    int dot = token.lastIndexOf('.');
    if (dot <= 0 || dot == token.length() - 1) return null;
    String claimId = token.substring(0, dot);
    byte[] given;
    try {
      given = Base64.getUrlDecoder().decode(token.substring(dot + 1));
    } catch (IllegalArgumentException e) {
      return null;
    }
    return MessageDigest.isEqual(given, mac(claimId)) ? claimId : null;
  }

  private byte[] mac(String claimId) {
    // doFinal leaves the Mac reset and keyed for the next call.
    return macs.get().doFinal(claimId.getBytes(StandardCharsets.UTF_8));
  }

  private Mac newMac() {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
