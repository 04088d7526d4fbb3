package io.agentsandbox.warmpool;

import java.math.BigInteger;
import java.util.HashSet;
import java.util.SplittableRandom;

/**
 * One pool's sandbox names: upstream's {@code <pool>-<5 chars>} shape, from a scrambled sequence,
 * so a released sandbox's name is not handed out again (a client holding an old name must never
 * reach a new tenant's sandbox). Names adopted from a previous run are never handed out. Owned by
 * the pool's owner thread; not thread-safe; pure.
 */
final class SandboxNames {

  private static final char[] NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789".toCharArray();

  /** 27^5: the first this many names of a pool are 5-character suffixes, none repeated. */
  static final long NAME_SPACE = 14_348_907L;

  /** Coprime with NAME_SPACE (not a multiple of 3), so the scramble below is a bijection. */
  private static final long NAME_STRIDE = 7_368_787L;

  /**
   * NAME_STRIDE's inverse modulo NAME_SPACE: turns an adopted name back into its sequence number.
   */
  private static final long NAME_STRIDE_INVERSE =
      BigInteger.valueOf(NAME_STRIDE).modInverse(BigInteger.valueOf(NAME_SPACE)).longValueExact();

  private final String base;
  private final long offset;
  private long seq;

  /** Names of adopted sandboxes (from a previous run): never handed out again by {@link #next}. */
  private HashSet<String> adopted;

  /**
   * @param base the pool's name, the prefix of every sandbox name
   * @param seed picks where this pool's sequence starts
   */
  SandboxNames(String base, long seed) {
    this.base = base;
    this.offset = new SplittableRandom(seed).nextLong(NAME_SPACE);
  }

  /** The next name of the sequence that was not adopted. */
  String next() {
    String name;
    do {
      name = generate();
    } while (adopted != null && adopted.contains(name));
    return name;
  }

  private String generate() {
    long s = seq++;
    long v = s < NAME_SPACE ? Math.floorMod(s * NAME_STRIDE + offset, NAME_SPACE) : s;
    int suffixLength = v < NAME_SPACE ? 5 : 14;
    char[] name = new char[base.length() + 1 + suffixLength];
    base.getChars(0, base.length(), name, 0);
    name[base.length()] = '-';
    for (int i = name.length - 1; i > base.length(); i--) {
      name[i] = NAME_CHARS[(int) (v % NAME_CHARS.length)];
      v /= NAME_CHARS.length;
    }
    return new String(name);
  }

  /**
   * A sandbox of a previous run keeps its name: it is never handed out, and the sequence moves past
   * it (so names after it are fresh too).
   */
  void adopt(String sandboxName) {
    if (adopted == null) adopted = new HashSet<>();
    adopted.add(sandboxName);
    long s = sequenceOf(sandboxName);
    if (s >= seq) seq = s + 1;
  }

  /**
   * The position of a name in this pool's sequence (see {@link #next}), or -1 when it is not one of
   * its 5-char names.
   */
  long sequenceOf(String sandboxName) {
    int prefix = base.length() + 1;
    if (!sandboxName.startsWith(base)
        || sandboxName.length() != prefix + 5
        || sandboxName.charAt(base.length()) != '-') return -1;
    long v = 0;
    for (int i = prefix; i < sandboxName.length(); i++) {
      int digit = indexOfNameChar(sandboxName.charAt(i));
      if (digit < 0) return -1;
      v = v * NAME_CHARS.length + digit;
    }
    return Math.floorMod(v - offset, NAME_SPACE) * NAME_STRIDE_INVERSE % NAME_SPACE;
  }

  private static int indexOfNameChar(char c) {
    for (int i = 0; i < NAME_CHARS.length; i++) {
      if (NAME_CHARS[i] == c) return i;
    }
    return -1;
  }
}
