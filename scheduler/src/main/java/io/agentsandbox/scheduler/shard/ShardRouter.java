package io.agentsandbox.scheduler.shard;

import io.agentsandbox.core.model.PoolKey;
import java.security.SecureRandom;

/**
 * Pure routing: which shard owns a pool, and which shard a claim id belongs to. No shared state.
 *
 * <p>Claim ids carry their shard: {@code cl-<shard>-<20 random base32 chars>} (100 bits from a
 * {@link SecureRandom}), so {@code GET/DELETE /v1/claims/{id}} reach the owner without a lookup.
 */
public final class ShardRouter {
  private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
  private static final int RANDOM_CHARS = 20;

  private final int shardCount;

  public ShardRouter(int shardCount) {
    if (shardCount < 1) throw new IllegalArgumentException("shardCount must be > 0: " + shardCount);
    this.shardCount = shardCount;
  }

  public int shardCount() {
    return shardCount;
  }

  /** The shard owning {@code pool}. */
  public int shardOf(PoolKey pool) {
    // NOTE: spread the record's hash so pools with similar names do not pile on one shard.
    int h = pool.hashCode();
    h ^= (h >>> 16);
    return Math.floorMod(h * 0x9E3779B9, shardCount);
  }

  /**
   * Random bytes for claim ids, drawn from a {@link SecureRandom} a few kilobytes at a time: one
   * draw serves about 200 ids. One per thread (an HTTP event loop); not thread-safe.
   */
  public static final class IdBytes {
    private final SecureRandom random;
    private final byte[] buffer = new byte[RANDOM_CHARS * 200];
    private int next = buffer.length;

    public IdBytes(SecureRandom random) {
      this.random = random;
    }

    /** A DRBG of its own, so that threads do not share the platform generator's lock. */
    public static IdBytes create() {
      try {
        return new IdBytes(SecureRandom.getInstance("DRBG"));
      } catch (java.security.NoSuchAlgorithmException e) {
        return new IdBytes(new SecureRandom());
      }
    }

    int take() {
      if (next == buffer.length) {
        random.nextBytes(buffer);
        next = 0;
      }
      int at = next;
      next += RANDOM_CHARS;
      return at;
    }
  }

  /** A new claim id owned by {@code shard}. The thread that owns {@code bytes}. */
  public String newClaimId(int shard, IdBytes bytes) {
    int at = bytes.take();
    byte[] b = bytes.buffer;
    char[] id = new char[(shard < 10 ? 5 : shard < 100 ? 6 : 7) + RANDOM_CHARS];
    id[0] = 'c';
    id[1] = 'l';
    id[2] = '-';
    int i = id.length - RANDOM_CHARS - 1;
    id[i] = '-';
    for (int s = shard, j = i - 1; j >= 3; j--, s /= 10) id[j] = (char) ('0' + s % 10);
    for (int k = 0; k < RANDOM_CHARS; k++) id[i + 1 + k] = ALPHABET[b[at + k] & 31];
    return new String(id);
  }

  /** The shard a claim id belongs to, or -1 when the id is not one of ours. */
  public int shardOfClaim(String claimId) {
    if (claimId == null || claimId.length() < 5 + RANDOM_CHARS || !claimId.startsWith("cl-"))
      return -1;
    int dash = claimId.indexOf('-', 3);
    if (dash < 4 || dash > 6 || claimId.length() != dash + 1 + RANDOM_CHARS) return -1;
    int shard = 0;
    for (int i = 3; i < dash; i++) {
      char c = claimId.charAt(i);
      if (c < '0' || c > '9') return -1;
      shard = shard * 10 + (c - '0');
    }
    for (int i = dash + 1; i < claimId.length(); i++) {
      char c = claimId.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'))) return -1;
    }
    return shard < shardCount ? shard : -1;
  }
}
