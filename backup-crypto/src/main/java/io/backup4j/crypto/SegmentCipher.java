package io.backup4j.crypto;

import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM of single segments with the JDK's {@code AES/GCM/NoPadding} (the intrinsic-accelerated path).
 * Nonce = 7-byte prefix || 4-byte big-endian segment index || 1-byte last flag; AAD = the complete header.
 */
final class SegmentCipher {
  static final int TAG_LENGTH = 16;
  private final Cipher cipher;
  private final SecretKeySpec key;
  private final byte[] nonce = new byte[12];
  private final byte[] aad;

  SegmentCipher(SecretKeySpec key, byte[] noncePrefix, byte[] aad) {
    try {
      this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES/GCM/NoPadding is unavailable in this JDK", e);
    }
    this.key = key;
    System.arraycopy(noncePrefix, 0, nonce, 0, StreamHeader.NONCE_PREFIX_LENGTH);
    this.aad = aad.clone();
  }

  private GCMParameterSpec params(long index, boolean last) {
    if (index < 0 || index > 0xFFFF_FFFFL) {
      throw new IllegalStateException("segment index " + index + " exceeds 2^32-1");
    }
    nonce[7] = (byte) (index >>> 24);
    nonce[8] = (byte) (index >>> 16);
    nonce[9] = (byte) (index >>> 8);
    nonce[10] = (byte) index;
    nonce[11] = (byte) (last ? 1 : 0);
    return new GCMParameterSpec(TAG_LENGTH * 8, nonce);
  }

  /** Encrypts {@code len} bytes into {@code out} (which needs {@code len + 16} bytes); returns the bytes written. */
  int encrypt(long index, boolean last, byte[] in, int off, int len, byte[] out) throws GeneralSecurityException {
    cipher.init(Cipher.ENCRYPT_MODE, key, params(index, last));
    cipher.updateAAD(aad);
    return cipher.doFinal(in, off, len, out, 0);
  }

  /**
   * Authenticates and decrypts; the JDK's GCM releases no plaintext before the tag verified.
   *
   * @throws javax.crypto.AEADBadTagException if the segment is not authentic at this index and position
   */
  int decrypt(long index, boolean last, byte[] in, int len, byte[] out) throws GeneralSecurityException {
    cipher.init(Cipher.DECRYPT_MODE, key, params(index, last));
    cipher.updateAAD(aad);
    return cipher.doFinal(in, 0, len, out, 0);
  }
}
