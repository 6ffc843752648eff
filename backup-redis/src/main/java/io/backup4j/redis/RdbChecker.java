package io.backup4j.redis;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.jspecify.annotations.Nullable;

/**
 * Checks an RDB stream while it passes, without buffering it: the magic and version at the start, the EOF opcode
 * and the CRC-64 at the end.
 *
 * <pre>
 * offset 0      5        9                                   n-9    n-8                 n
 *        +------+--------+-----------------------------------+------+-------------------+
 *        |REDIS | 0009   | aux fields, SELECTDB, key/values  | 0xFF | CRC-64 (LE, 8 B)  |
 *        +------+--------+-----------------------------------+------+-------------------+
 *         magic  version   (format version >= 5 has the CRC; it covers bytes 0..n-9, the EOF opcode included;
 *                           0 means the server runs with rdbchecksum no)
 * </pre>
 */
final class RdbChecker {
  /** The outcome of a successful check. */
  record Result(int rdbVersion, long length, @Nullable Long crc) {
    String crcText() {
      return crc == null ? "none" : HexFormat.of().toHexDigits(crc);
    }
  }

  private final byte[] head = new byte[9];
  private int headLength;
  /** The last (up to) 9 bytes seen: the EOF opcode and the stored CRC once the stream ended. */
  private final byte[] last = new byte[9];
  private int lastLength;
  /** The CRC is fed with a delay of 8 bytes, since the final 8 bytes are the stored CRC itself. */
  private final byte[] delayed = new byte[8];
  private int delayedLength;
  private final Crc64 crc = new Crc64();
  private long length;

  void update(byte[] b, int off, int len) {
    if (len <= 0) {
      return;
    }
    length += len;
    if (headLength < head.length) {
      int n = Math.min(len, head.length - headLength);
      System.arraycopy(b, off, head, headLength, n);
      headLength += n;
    }
    keepLast(b, off, len);
    if (len >= 8) {
      crc.update(delayed, 0, delayedLength);
      crc.update(b, off, len - 8);
      System.arraycopy(b, off + len - 8, delayed, 0, 8);
      delayedLength = 8;
    } else {
      int total = delayedLength + len;
      int feed = Math.max(0, total - 8);
      byte[] combined = new byte[total];
      System.arraycopy(delayed, 0, combined, 0, delayedLength);
      System.arraycopy(b, off, combined, delayedLength, len);
      crc.update(combined, 0, feed);
      delayedLength = total - feed;
      System.arraycopy(combined, feed, delayed, 0, delayedLength);
    }
  }

  private void keepLast(byte[] b, int off, int len) {
    if (len >= last.length) {
      System.arraycopy(b, off + len - last.length, last, 0, last.length);
      lastLength = last.length;
    } else {
      int keep = Math.min(lastLength, last.length - len);
      System.arraycopy(last, lastLength - keep, last, 0, keep);
      System.arraycopy(b, off, last, keep, len);
      lastLength = keep + len;
    }
  }

  /** Whether the magic has been seen so far (or too few bytes arrived to tell yet). */
  boolean headerPlausible() {
    byte[] magic = "REDIS".getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < Math.min(headLength, magic.length); i++) {
      if (head[i] != magic[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * Checks the end of the stream.
   *
   * @param what names the stream in messages, e.g. {@code the RDB payload from redis://host:6379}
   * @throws RdbFormatException if the stream is not a complete RDB file
   */
  Result finish(String what) {
    int version = parseHeader(head, headLength, what);
    boolean hasCrc = version >= 5;
    int trailer = hasCrc ? 9 : 1;
    if (length < 9 + trailer) {
      throw new RdbFormatException(what + " is truncated: only " + length + " bytes");
    }
    int eofAt = lastLength - trailer;
    if ((last[eofAt] & 0xff) != 0xFF) {
      throw new RdbFormatException(what + " does not end with the RDB EOF opcode 0xFF (found 0x"
          + HexFormat.of().toHexDigits(last[eofAt]) + "): it is truncated or damaged");
    }
    if (!hasCrc) {
      return new Result(version, length, null);
    }
    long stored = 0;
    for (int i = 7; i >= 0; i--) {
      stored = (stored << 8) | (last[lastLength - 8 + i] & 0xffL);
    }
    if (stored == 0) {
      // rdbchecksum no: the server wrote no checksum, there is nothing to compare.
      return new Result(version, length, null);
    }
    long computed = crc.value();
    if (computed != stored) {
      throw new RdbFormatException(what + " fails its CRC-64 check (stored " + HexFormat.of().toHexDigits(stored)
          + ", computed " + HexFormat.of().toHexDigits(computed) + "): the data was damaged");
    }
    return new Result(version, length, stored);
  }

  /** The RDB format version in a 9-byte header {@code REDISnnnn}. */
  static int parseHeader(byte[] head, int headLength, String what) {
    if (headLength < 9 || !new String(head, 0, 5, StandardCharsets.ISO_8859_1).equals("REDIS")) {
      throw new RdbFormatException(what + " is not an RDB file: it does not start with REDIS and a version");
    }
    String v = new String(head, 5, 4, StandardCharsets.ISO_8859_1);
    try {
      int version = Integer.parseInt(v);
      if (version < 1) {
        throw new NumberFormatException();
      }
      return version;
    } catch (NumberFormatException e) {
      throw new RdbFormatException(what + " has an invalid RDB version '" + v + "'");
    }
  }

  /** A stream that is not a complete, intact RDB file. */
  static final class RdbFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RdbFormatException(String message) {
      super(message);
    }
  }
}
