package io.agentsandbox.k8s.agent;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The per-sandbox secret of an injected agent: {@code hex(HMAC-SHA256(key, namespace + "/" +
 * name))}. Derived, never stored: the controller puts it in the pod it creates and recomputes it
 * when it reaches the agent, so no API write per sandbox is needed, and a warm pool member keeps
 * its secret when a claim adopts it (the Sandbox's name does not change). Immutable; thread-safe.
 */
public final class AgentSecrets {

  /** Shortest agent key accepted (bytes). */
  public static final int MIN_KEY_BYTES = 32;

  private static final String ALGORITHM = "HmacSHA256";

  private final SecretKeySpec key;

  /**
   * @param key the agent key, at least {@link #MIN_KEY_BYTES} bytes (copied)
   */
  public AgentSecrets(byte[] key) {
    if (key == null || key.length < MIN_KEY_BYTES)
      throw new IllegalArgumentException(
          "the agent key must have at least " + MIN_KEY_BYTES + " bytes");
    this.key = new SecretKeySpec(key.clone(), ALGORITHM);
  }

  /** The secret of sandbox {@code namespace/name}: 64 lowercase hex digits. */
  public String secret(String namespace, String name) {
    Mac mac;
    try {
      mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
    return HexFormat.of()
        .formatHex(mac.doFinal((namespace + "/" + name).getBytes(StandardCharsets.UTF_8)));
  }

  @Override
  public String toString() {
    return "AgentSecrets[key hidden]"; // NOTE: never print the key
  }
}
