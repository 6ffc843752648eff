package io.backup4j.crypto;

import io.backup4j.api.IntegrityException;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import org.jspecify.annotations.Nullable;

/**
 * The header of an {@code aes-gcm} stream (format version 1). Byte layout, all integers big-endian:
 *
 * <pre>
 * offset    size  field
 *  0          8   magic           89 42 34 4A 47 43 4D 0A  ("\x89B4JGCM\n")
 *  8          1   version         0x01
 *  9          2   header length H total bytes of the header, MAC and CRC included
 * 11          1   kdf             0x01 raw 256-bit key, 0x02 Argon2id passphrase
 * 12          4   segment size S  plaintext bytes per segment, 4096 .. 16 MiB
 * 16         32   salt            HKDF-SHA256 salt, random per stream
 * 48          7   nonce prefix    random per stream
 * 55          1   key id length L 1 .. 64
 * 56          L   key id          ASCII [A-Za-z0-9._-]
 * kdf 0x02 only:
 * 56+L        4   memory KiB      Argon2id m
 * 60+L        4   iterations      Argon2id t
 * 64+L        1   parallelism     Argon2id p
 * 65+L       16   argon2 salt
 * then:
 * H-36       32   header MAC      HMAC-SHA256(macKey, bytes 0 .. H-37)
 * H-4         4   CRC32C          of bytes 0 .. H-5
 * </pre>
 *
 * The CRC tells accidental damage ({@link IntegrityException}) apart from a wrong key (the MAC fails but the CRC holds);
 * the keyed MAC authenticates the header and commits to the key before any segment is decrypted.
 */
final class StreamHeader {
  static final byte[] MAGIC = {(byte) 0x89, 'B', '4', 'J', 'G', 'C', 'M', '\n'};
  static final int VERSION = 1;
  static final int KDF_RAW = 1;
  static final int KDF_ARGON2ID = 2;
  static final int SALT_LENGTH = 32;
  static final int NONCE_PREFIX_LENGTH = 7;
  static final int MAC_LENGTH = 32;
  static final int MIN_SEGMENT = 4096;
  static final int MAX_SEGMENT = 16 * 1024 * 1024;
  private static final int PREFIX_LENGTH = 11;
  private static final int MAX_HEADER = 512;
  private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  final int kdf;
  final int segmentSize;
  private final byte[] salt;
  private final byte[] noncePrefix;
  final String keyId;
  final @Nullable Argon2Params argon2;
  /** The complete encoded header (MAC and CRC included); bound as AAD into every segment. */
  private final byte[] bytes;

  private StreamHeader(int kdf, int segmentSize, byte[] salt, byte[] noncePrefix, String keyId,
      @Nullable Argon2Params argon2, byte[] bytes) {
    this.kdf = kdf;
    this.segmentSize = segmentSize;
    this.salt = salt;
    this.noncePrefix = noncePrefix;
    this.keyId = keyId;
    this.argon2 = argon2;
    this.bytes = bytes;
  }

  static boolean isValidKeyId(String id) {
    return KEY_ID.matcher(id).matches();
  }

  byte[] salt() {
    return salt.clone();
  }

  byte[] noncePrefix() {
    return noncePrefix.clone();
  }

  byte[] bytes() {
    return bytes.clone();
  }

  int length() {
    return bytes.length;
  }

  /** Builds and MACs a new header. */
  static StreamHeader create(int segmentSize, byte[] salt, byte[] noncePrefix, String keyId,
      @Nullable Argon2Params argon2, byte[] macKey) {
    int kdf = argon2 == null ? KDF_RAW : KDF_ARGON2ID;
    byte[] id = keyId.getBytes(StandardCharsets.US_ASCII);
    int length = 56 + id.length + (argon2 == null ? 0 : 25) + MAC_LENGTH + 4;
    try {
      ByteArrayOutputStream buf = new ByteArrayOutputStream(length);
      DataOutputStream out = new DataOutputStream(buf);
      out.write(MAGIC);
      out.writeByte(VERSION);
      out.writeShort(length);
      out.writeByte(kdf);
      out.writeInt(segmentSize);
      out.write(salt);
      out.write(noncePrefix);
      out.writeByte(id.length);
      out.write(id);
      if (argon2 != null) {
        out.writeInt(argon2.memoryKiB());
        out.writeInt(argon2.iterations());
        out.writeByte(argon2.parallelism());
        out.write(argon2.salt());
      }
      out.write(Hkdf.hmac(macKey, buf.toByteArray()));
      CRC32C crc = new CRC32C();
      crc.update(buf.toByteArray());
      out.writeInt((int) crc.getValue());
      byte[] bytes = buf.toByteArray();
      if (bytes.length != length) {
        throw new IllegalStateException("header length " + bytes.length + " != " + length);
      }
      return new StreamHeader(kdf, segmentSize, salt.clone(), noncePrefix.clone(), keyId, argon2, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads and structurally validates a header (magic, version, length, CRC, field ranges). The MAC is checked later
   * by {@link #macMatches}, once a key is chosen.
   */
  static StreamHeader read(InputStream in) throws IOException {
    byte[] prefix = new byte[PREFIX_LENGTH];
    int n = in.readNBytes(prefix, 0, PREFIX_LENGTH);
    if (n < MAGIC.length || !Arrays.equals(Arrays.copyOf(prefix, MAGIC.length), MAGIC)) {
      if (n == 0) {
        throw new IntegrityException("aes-gcm stream is empty: the header is missing (truncated object?)");
      }
      throw new IntegrityException("not an aes-gcm stream of backup4j: the magic bytes do not match"
          + " (was the object encrypted with another transform, or is it damaged?)");
    }
    if (n < PREFIX_LENGTH) {
      throw new IntegrityException("aes-gcm header is truncated after " + n + " bytes");
    }
    int version = prefix[8] & 0xFF;
    if (version != VERSION) {
      throw new IntegrityException("aes-gcm format version " + version + " is not supported by this backup4j"
          + " (supported: " + VERSION + "); upgrade backup4j to read this backup, or the header is damaged");
    }
    int length = ((prefix[9] & 0xFF) << 8) | (prefix[10] & 0xFF);
    if (length < 56 + 1 + MAC_LENGTH + 4 || length > MAX_HEADER) {
      throw new IntegrityException("aes-gcm header length " + length + " is out of range: the header is damaged");
    }
    byte[] bytes = Arrays.copyOf(prefix, length);
    int m = in.readNBytes(bytes, PREFIX_LENGTH, length - PREFIX_LENGTH);
    if (m < length - PREFIX_LENGTH) {
      throw new IntegrityException("aes-gcm header is truncated: " + (PREFIX_LENGTH + m) + " of " + length + " bytes");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes);
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, length - 4);
    if ((int) crc.getValue() != b.getInt(length - 4)) {
      throw new IntegrityException("aes-gcm header is damaged (CRC32C mismatch): the object was altered in storage");
    }
    b.position(PREFIX_LENGTH);
    int kdf = b.get() & 0xFF;
    int segmentSize = b.getInt();
    byte[] salt = new byte[SALT_LENGTH];
    b.get(salt);
    byte[] prefixBytes = new byte[NONCE_PREFIX_LENGTH];
    b.get(prefixBytes);
    int idLength = b.get() & 0xFF;
    int expected = 56 + idLength + (kdf == KDF_ARGON2ID ? 25 : 0) + MAC_LENGTH + 4;
    if ((kdf != KDF_RAW && kdf != KDF_ARGON2ID) || expected != length || segmentSize < MIN_SEGMENT
        || segmentSize > MAX_SEGMENT) {
      throw new IntegrityException("aes-gcm header has inconsistent fields (kdf " + kdf + ", segment size "
          + segmentSize + ", length " + length + "): the header is damaged or was written by an unknown version");
    }
    byte[] id = new byte[idLength];
    b.get(id);
    String keyId = new String(id, StandardCharsets.US_ASCII);
    if (!isValidKeyId(keyId)) {
      throw new IntegrityException("aes-gcm header holds an invalid key id: the header is damaged");
    }
    Argon2Params argon2 = null;
    if (kdf == KDF_ARGON2ID) {
      int mem = b.getInt();
      int it = b.getInt();
      int par = b.get() & 0xFF;
      byte[] aSalt = new byte[Argon2Params.SALT_LENGTH];
      b.get(aSalt);
      argon2 = Argon2Params.fromHeader(mem, it, par, aSalt);
    }
    return new StreamHeader(kdf, segmentSize, salt, prefixBytes, keyId, argon2, bytes);
  }

  /** Whether the header MAC verifies under {@code macKey}: false means a wrong key (the CRC already held). */
  boolean macMatches(byte[] macKey) {
    int macOffset = bytes.length - 4 - MAC_LENGTH;
    byte[] expected = Hkdf.hmac(macKey, Arrays.copyOf(bytes, macOffset));
    return MessageDigest.isEqual(expected, Arrays.copyOfRange(bytes, macOffset, macOffset + MAC_LENGTH));
  }

  @Override
  public String toString() {
    return "aes-gcm header v" + VERSION + " (key id " + keyId + ", segment " + segmentSize + " B"
        + (argon2 == null ? "" : ", " + argon2) + ")";
  }
}
