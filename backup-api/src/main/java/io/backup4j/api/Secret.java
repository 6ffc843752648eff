package io.backup4j.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * A password, passphrase or key that must never be printed. {@link #toString()} is {@code ****}; the value is only
 * reachable through {@link #reveal()} / {@link #revealBytes()}, which return copies.
 *
 * <p>Records and exceptions print their components; holding credentials in a {@code Secret} keeps them out of logs,
 * {@code toString()} output and messages by construction.
 */
public final class Secret {
  private final byte[] value;

  private Secret(byte[] value) {
    this.value = value;
  }

  /** A secret holding a copy of the given characters (encoded as UTF-8). */
  public static Secret of(char[] chars) {
    Objects.requireNonNull(chars, "chars is null");
    var buffer = StandardCharsets.UTF_8.encode(java.nio.CharBuffer.wrap(chars));
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return new Secret(bytes);
  }

  /** A secret holding the given text. Prefer {@link #of(char[])} where the caller controls the source. */
  public static Secret of(String text) {
    Objects.requireNonNull(text, "text is null");
    return new Secret(text.getBytes(StandardCharsets.UTF_8));
  }

  /** A secret holding a copy of the given bytes (raw key material). */
  public static Secret ofBytes(byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes is null");
    return new Secret(bytes.clone());
  }

  /** A copy of the value as characters (UTF-8 decoded). The caller should wipe it after use. */
  public char[] reveal() {
    var chars = StandardCharsets.UTF_8.decode(java.nio.ByteBuffer.wrap(value));
    char[] out = new char[chars.remaining()];
    chars.get(out);
    return out;
  }

  /** A copy of the value as bytes. The caller should wipe it after use. */
  public byte[] revealBytes() {
    return value.clone();
  }

  /** The number of bytes held. */
  public int length() {
    return value.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Secret other && MessageDigest.isEqual(value, other.value);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(value);
  }

  /** Always {@code ****}. */
  @Override
  public String toString() {
    return "****";
  }
}
