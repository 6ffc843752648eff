package io.backup4j.crypto;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HKDF-SHA256 (RFC 5869) and HMAC-SHA256 on the JDK's own {@link Mac}. */
final class Hkdf {
  private Hkdf() {}

  /** HMAC-SHA256 of {@code data} under {@code key}. */
  static byte[] hmac(byte[] key, byte[]... data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      for (byte[] d : data) {
        mac.update(d);
      }
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable in this JDK", e);
    }
  }

  /** HKDF-Extract then HKDF-Expand to {@code length} bytes (at most 32 here: one block is all we need). */
  static byte[] derive(byte[] ikm, byte[] salt, String info, int length) {
    if (length > 32) {
      throw new IllegalArgumentException("length > 32");
    }
    byte[] prk = hmac(salt, ikm);
    try {
      // T(1) = HMAC(PRK, info || 0x01); one block suffices for <= 32 bytes.
      byte[] t1 = hmac(prk, info.getBytes(StandardCharsets.US_ASCII), new byte[] {1});
      byte[] out = Arrays.copyOf(t1, length);
      Arrays.fill(t1, (byte) 0);
      return out;
    } finally {
      Arrays.fill(prk, (byte) 0);
    }
  }
}
