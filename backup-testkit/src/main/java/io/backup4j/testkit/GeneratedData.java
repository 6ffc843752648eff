package io.backup4j.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Pseudo-random bytes of a given length, generated on the fly in 64 KiB blocks so objects of any size can be written
 * and verified without holding them in memory. Block {@code i} depends only on the seed and {@code i}, so any range
 * can be regenerated for comparing ranged reads.
 */
final class GeneratedData extends InputStream {
  static final int BLOCK = 64 * 1024;

  private final long seed;
  private final long size;
  private final byte[] block = new byte[BLOCK];
  private long blockIndex = -1;
  private long position;

  GeneratedData(long seed, long size) {
    this.seed = seed;
    this.size = size;
  }

  /** The bytes {@code [offset, offset + length)} of the data with this seed, clipped to {@code size}. */
  static byte[] slice(long seed, long size, long offset, int length) {
    long end = Math.min(size, offset + length);
    if (offset >= end) {
      return new byte[0];
    }
    GeneratedData d = new GeneratedData(seed, end);
    d.position = offset;
    byte[] out = new byte[(int) (end - offset)];
    int n = 0;
    while (n < out.length) {
      n += d.read(out, n, out.length - n);
    }
    return out;
  }

  @Override
  public int read() {
    if (position >= size) {
      return -1;
    }
    load();
    return block[(int) (position++ % BLOCK)] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) {
    Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) {
      return 0;
    }
    if (position >= size) {
      return -1;
    }
    load();
    int inBlock = (int) (position % BLOCK);
    int n = (int) Math.min(Math.min(len, BLOCK - inBlock), size - position);
    System.arraycopy(block, inBlock, b, off, n);
    position += n;
    return n;
  }

  private void load() {
    long index = position / BLOCK;
    if (index != blockIndex) {
      new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index).nextBytes(block);
      blockIndex = index;
    }
  }

  @Override
  public void close() throws IOException {}
}
