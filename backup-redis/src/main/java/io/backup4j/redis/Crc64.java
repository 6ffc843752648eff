package io.backup4j.redis;

/**
 * The CRC-64 Redis stores at the end of an RDB file and of a {@code DUMP} payload: CRC-64/Jones ("CRC-64/REDIS"),
 * reflected, polynomial {@code 0xad93d23594c935a9}, initial value 0, no final xor. The check value of
 * {@code "123456789"} is {@code 0xe9c6d914c4b8d9ca}.
 *
 * <p>Computed slicing-by-8 (eight 256-entry tables), which keeps the check from being the bottleneck of a snapshot.
 */
final class Crc64 {
  /** {@code 0xad93d23594c935a9} bit-reversed, as the reflected algorithm shifts right. */
  private static final long POLY_REFLECTED = Long.reverse(0xad93d23594c935a9L);
  private static final long[][] TABLES = new long[8][256];

  static {
    for (int n = 0; n < 256; n++) {
      long crc = n;
      for (int k = 0; k < 8; k++) {
        crc = (crc & 1) != 0 ? (crc >>> 1) ^ POLY_REFLECTED : crc >>> 1;
      }
      TABLES[0][n] = crc;
    }
    for (int n = 0; n < 256; n++) {
      long crc = TABLES[0][n];
      for (int t = 1; t < 8; t++) {
        crc = TABLES[0][(int) (crc & 0xff)] ^ (crc >>> 8);
        TABLES[t][n] = crc;
      }
    }
  }

  private long crc;

  /** Adds bytes to the checksum. */
  void update(byte[] b, int off, int len) {
    long c = crc;
    int i = off;
    int end = off + len;
    long[] t0 = TABLES[0], t1 = TABLES[1], t2 = TABLES[2], t3 = TABLES[3];
    long[] t4 = TABLES[4], t5 = TABLES[5], t6 = TABLES[6], t7 = TABLES[7];
    while (end - i >= 8) {
      c ^= (b[i] & 0xffL) | (b[i + 1] & 0xffL) << 8 | (b[i + 2] & 0xffL) << 16 | (b[i + 3] & 0xffL) << 24
          | (b[i + 4] & 0xffL) << 32 | (b[i + 5] & 0xffL) << 40 | (b[i + 6] & 0xffL) << 48 | (b[i + 7] & 0xffL) << 56;
      c = t7[(int) (c & 0xff)] ^ t6[(int) ((c >>> 8) & 0xff)] ^ t5[(int) ((c >>> 16) & 0xff)]
          ^ t4[(int) ((c >>> 24) & 0xff)] ^ t3[(int) ((c >>> 32) & 0xff)] ^ t2[(int) ((c >>> 40) & 0xff)]
          ^ t1[(int) ((c >>> 48) & 0xff)] ^ t0[(int) (c >>> 56)];
      i += 8;
    }
    while (i < end) {
      c = t0[(int) ((c ^ b[i++]) & 0xff)] ^ (c >>> 8);
    }
    crc = c;
  }

  /** The checksum of the bytes added so far. */
  long value() {
    return crc;
  }
}
