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

  SegmentCipher(SecretKeySpec key, byte[] noncePrefix, byte[] aad, boolean decrypting) {
    warmUpInBackground(AesGcmTransformProvider.DEFAULT_SEGMENT, decrypting);
    try {
      this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES/GCM/NoPadding is unavailable in this JDK", e);
    }
    this.key = key;
    System.arraycopy(noncePrefix, 0, nonce, 0, StreamHeader.NONCE_PREFIX_LENGTH);
    this.aad = aad.clone();
  }

  /**
   * Starts {@link JitWarmup} for one direction on a daemon thread, once per JVM and direction, with full segments of
   * {@code segmentSize} bytes among the rounds; ciphers do not wait for it (a segment processed meanwhile is only
   * slower). A backup compiles only encryption, a restore only decryption: each direction's rounds cost about
   * 0.15 s of CPU, and the compiler's work for a direction nobody uses is spared.
   */
  static void warmUpInBackground(int segmentSize, boolean decrypting) {
    java.util.concurrent.atomic.AtomicBoolean started = decrypting ? DECRYPT_WARMUP : ENCRYPT_WARMUP;
    if (started.compareAndSet(false, true)) {
      Thread t = new Thread(() -> JitWarmup.run(segmentSize, decrypting),
          "backup4j-aes-gcm-warmup-" + (decrypting ? "decrypt" : "encrypt"));
      t.setDaemon(true);
      t.start();
    }
  }

  private static final java.util.concurrent.atomic.AtomicBoolean ENCRYPT_WARMUP =
      new java.util.concurrent.atomic.AtomicBoolean();
  private static final java.util.concurrent.atomic.AtomicBoolean DECRYPT_WARMUP =
      new java.util.concurrent.atomic.AtomicBoolean();

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

  /**
   * Gets HotSpot to compile the JDK's GCM code with its AES and GHASH intrinsics before the first real segments.
   *
   * <p>Measured on JDK 17: the intrinsics ({@code GHASH.processBlocks}, {@code CounterMode.implCrypt}) apply only in
   * callers compiled by C2, which needs some thousand calls, and a C2 compilation that never saw a full segment is
   * thrown away at the first one (the JDK's GCM takes another branch above 64 KiB). One {@code doFinal} of a 64 KiB
   * segment makes one such call, so a fresh JVM (every CLI run) encrypted and decrypted at 17-50 MB/s for its first
   * hundred megabytes instead of 2 GB/s: about 2.5 s of a 114 MB PostgreSQL backup and more of its restore. Five
   * thousand single-block rounds of the direction in use (encryptions, or decryptions of one sealed block), one in
   * 64 of them a full segment, with a throwaway all-zero key (never used for data), take about 0.15 s once per JVM
   * and direction and leave the compiled path in place. They start when
   * the transform is created, while the source is still starting. A failure here only costs speed.
   */
  static final class JitWarmup {
    private static final int ROUNDS = 5000;
    private static final int FULL_SEGMENT_EVERY = 64;

    private JitWarmup() {}

    /** Runs the rounds; false if they failed (only speed is lost then). */
    static boolean run(int segmentSize, boolean decrypting) {
      try {
        SecretKeySpec throwaway = new SecretKeySpec(new byte[32], "AES");
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        byte[] nonce = new byte[12];
        byte[] block = new byte[16];
        byte[] segment = new byte[segmentSize];
        byte[] sealed = new byte[segmentSize + TAG_LENGTH];
        byte[] opened = new byte[segmentSize];
        int sealedBlock = 0;
        int sealedSegment = 0;
        byte[] sealedBlockBytes = new byte[16 + TAG_LENGTH];
        GCMParameterSpec fixed = new GCMParameterSpec(TAG_LENGTH * 8, nonce.clone());
        if (decrypting) {
          // decryption may reuse a nonce: seal one block and one segment once, then open them again and again
          c.init(Cipher.ENCRYPT_MODE, throwaway, fixed);
          sealedBlock = c.doFinal(block, 0, block.length, sealedBlockBytes, 0);
          c.init(Cipher.ENCRYPT_MODE, throwaway, new GCMParameterSpec(TAG_LENGTH * 8, new byte[] {1, 0, 0, 0, 0, 0,
              0, 0, 0, 0, 0, 0}));
          sealedSegment = c.doFinal(segment, 0, segment.length, sealed, 0);
        }
        GCMParameterSpec segmentSpec = new GCMParameterSpec(TAG_LENGTH * 8, new byte[] {1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0});
        for (int i = 0; i < ROUNDS; i++) {
          boolean full = i % FULL_SEGMENT_EVERY == 0;
          if (decrypting) {
            c.init(Cipher.DECRYPT_MODE, throwaway, full ? segmentSpec : fixed);
            if (full) {
              c.doFinal(sealed, 0, sealedSegment, opened, 0);
            } else {
              c.doFinal(sealedBlockBytes, 0, sealedBlock, opened, 0);
            }
          } else {
            nonce[8] = (byte) (i >>> 24);
            nonce[9] = (byte) (i >>> 16);
            nonce[10] = (byte) (i >>> 8);
            nonce[11] = (byte) i;
            byte[] plain = full ? segment : block;
            c.init(Cipher.ENCRYPT_MODE, throwaway, new GCMParameterSpec(TAG_LENGTH * 8, nonce));
            c.doFinal(plain, 0, plain.length, sealed, 0);
          }
        }
        return true;
      } catch (GeneralSecurityException | RuntimeException e) {
        // only the warm-up failed; the real ciphers report their own errors
        return false;
      }
    }
  }
}
