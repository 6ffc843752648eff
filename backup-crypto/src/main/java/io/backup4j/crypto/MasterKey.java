package io.backup4j.crypto;

import io.backup4j.api.Secret;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * A raw 256-bit master key with the key ids it answers to and where it came from. The key bytes stay inside a
 * {@link Secret}; {@link #toString()} names only the id and origin.
 */
final class MasterKey {
  static final int LENGTH = 32;
  private final Secret key;
  private final String id;
  private final Set<String> ids;
  private final String fingerprint;
  private final String origin;

  MasterKey(byte[] key, String id, String origin) {
    if (key.length != LENGTH) {
      throw new IllegalArgumentException("a master key has 32 bytes");
    }
    this.key = Secret.ofBytes(key);
    this.id = Objects.requireNonNull(id, "id is null");
    this.origin = Objects.requireNonNull(origin, "origin is null");
    Set<String> all = new LinkedHashSet<>();
    all.add(id);
    this.fingerprint = fingerprint(key);
    all.add(fingerprint);
    this.ids = Set.copyOf(all);
  }

  /**
   * The default key id of a key: 16 hex digits of HMAC-SHA256(key, "backup4j key id v1"). A keyed hash of a
   * 256-bit random key reveals nothing about the key, and stays stable across runs so it can name the key.
   */
  static String fingerprint(byte[] key) {
    byte[] mac = Hkdf.hmac(key, "backup4j key id v1".getBytes(StandardCharsets.US_ASCII));
    return HexFormat.of().formatHex(mac, 0, 8);
  }

  /** The id written into headers when this key encrypts. */
  String id() {
    return id;
  }

  /** Whether this key answers to {@code keyId} (its configured id or its fingerprint). */
  boolean answersTo(String keyId) {
    return ids.contains(keyId);
  }

  /** Where the key came from, e.g. {@code keyFile /etc/backup4j/2026.key}; never the key. */
  String origin() {
    return origin;
  }

  /** A copy of the key; the caller wipes it. */
  byte[] bytes() {
    return key.revealBytes();
  }

  /** Derives the per-stream keys for {@code salt}. */
  StreamKeys streamKeys(byte[] salt) {
    byte[] k = key.revealBytes();
    try {
      return StreamKeys.derive(k, salt);
    } finally {
      Arrays.fill(k, (byte) 0);
    }
  }

  @Override
  public String toString() {
    return id.equals(fingerprint) ? id + " (" + origin + ")" : id + " (fingerprint " + fingerprint + ", " + origin + ")";
  }
}
