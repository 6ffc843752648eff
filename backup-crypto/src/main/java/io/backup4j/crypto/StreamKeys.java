package io.backup4j.crypto;

import javax.crypto.spec.SecretKeySpec;

/**
 * The keys of one stream, derived from the master key and the stream's random salt with HKDF-SHA256, so that every
 * stream has its own AES key and nonces can never repeat across streams under one master key.
 */
final class StreamKeys {
  static final String SEGMENT_INFO = "backup4j aes-gcm v1 segment key";
  static final String MAC_INFO = "backup4j aes-gcm v1 header mac key";
  final SecretKeySpec segmentKey;
  private final byte[] macKey;

  private StreamKeys(SecretKeySpec segmentKey, byte[] macKey) {
    this.segmentKey = segmentKey;
    this.macKey = macKey;
  }

  static StreamKeys derive(byte[] master, byte[] salt) {
    byte[] seg = Hkdf.derive(master, salt, SEGMENT_INFO, 32);
    byte[] mac = Hkdf.derive(master, salt, MAC_INFO, 32);
    SecretKeySpec spec = new SecretKeySpec(seg, "AES");
    java.util.Arrays.fill(seg, (byte) 0);
    return new StreamKeys(spec, mac);
  }

  byte[] macKey() {
    return macKey.clone();
  }

  @Override
  public String toString() {
    return "StreamKeys(****)";
  }
}
