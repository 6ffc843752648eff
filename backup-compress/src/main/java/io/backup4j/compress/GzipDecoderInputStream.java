package io.backup4j.compress;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A strict decoder of gzip (RFC 1952) streams of one or more members.
 *
 * <p>Written instead of using {@link java.util.zip.GZIPInputStream}, which silently ignores bytes after a member that
 * do not start a new one, and which may stop after the first member of a concatenated stream when the upstream's
 * {@code available()} happens to return 0. Here every member's CRC-32 and length are checked before the next byte
 * is returned past it, a stream that ends anywhere but between members is truncated, and anything after a member
 * that is not another member is an error.
 *
 * <pre>
 * member:  +----+----+----+----+-------+-----+----+ [FEXTRA] [FNAME\0] [FCOMMENT\0] [FHCRC]
 *          | 1f | 8b | 08 |FLG | MTIME | XFL | OS |
 *          +----+----+----+----+-------+-----+----+
 *          deflate data ... | CRC32 (LE, 4) | ISIZE = length mod 2^32 (LE, 4) |
 * stream:  member+   (nothing may follow the last member)
 * </pre>
 */
final class GzipDecoderInputStream extends InputStream {
  private static final int FHCRC = 2;
  private static final int FEXTRA = 4;
  private static final int FNAME = 8;
  private static final int FCOMMENT = 16;
  private static final int RESERVED = 0xE0;

  private final InputStream in;
  private final byte[] one = new byte[1];
  private final byte[] buf = new byte[CompressionTransform.BUFFER_SIZE];
  private int pos;
  private int lim;
  private final Inflater inflater = new Inflater(true);
  private final CRC32 crc = new CRC32();
  private final CRC32 headerCrc = new CRC32();
  private long memberLength;
  private boolean inMember;
  private boolean seenMember;
  private boolean finished;
  private boolean closed;

  GzipDecoderInputStream(InputStream in) {
    this.in = in;
  }

  @Override
  public int read() throws IOException {
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (closed) {
      throw new IOException("stream closed");
    }
    if (len == 0) {
      return 0;
    }
    while (true) {
      if (finished) {
        return -1;
      }
      if (!inMember) {
        if (!startNextMember()) {
          finished = true;
          return -1;
        }
        continue;
      }
      int n;
      try {
        n = inflater.inflate(b, off, len);
      } catch (DataFormatException e) {
        throw new IOException("invalid deflate data: " + e.getMessage(), e);
      }
      if (n > 0) {
        crc.update(b, off, n);
        memberLength += n;
        return n;
      }
      if (inflater.finished()) {
        // The inflater holds the unread tail of our buffer; give it back before reading the trailer.
        pos = lim - inflater.getRemaining();
        readTrailer();
        inMember = false;
        continue;
      }
      if (inflater.needsDictionary()) {
        throw new IOException("gzip member needs a preset dictionary, which gzip does not allow");
      }
      if (inflater.needsInput()) {
        if (pos == lim && !fill()) {
          throw new EOFException("gzip stream ends inside compressed data: truncated");
        }
        inflater.setInput(buf, pos, lim - pos);
        pos = lim;
      }
    }
  }

  /**
   * Reads the next member's header; returns false at a clean end (end of input right after a member, but never
   * before the first one).
   */
  private boolean startNextMember() throws IOException {
    boolean first = !seenMember;
    if (pos == lim && !fill()) {
      if (first) {
        throw new EOFException("empty input: not a gzip stream (a truncated part?)");
      }
      return false;
    }
    headerCrc.reset();
    int id1 = headerByte();
    int id2 = headerByte();
    if (id1 != 0x1f || id2 != 0x8b) {
      throw new IOException(first ? "not a gzip stream (bad magic bytes)"
          : "unexpected bytes after the end of a gzip member (trailing garbage)");
    }
    int cm = headerByte();
    if (cm != 8) {
      throw new IOException("unsupported gzip compression method " + cm);
    }
    int flg = headerByte();
    if ((flg & RESERVED) != 0) {
      throw new IOException("gzip header has reserved flag bits set");
    }
    for (int i = 0; i < 6; i++) { // MTIME(4), XFL, OS
      headerByte();
    }
    if ((flg & FEXTRA) != 0) {
      int xlen = headerByte() | (headerByte() << 8);
      for (int i = 0; i < xlen; i++) {
        headerByte();
      }
    }
    if ((flg & FNAME) != 0) {
      while (headerByte() != 0) {
        // skip the zero-terminated original file name
      }
    }
    if ((flg & FCOMMENT) != 0) {
      while (headerByte() != 0) {
        // skip the zero-terminated comment
      }
    }
    if ((flg & FHCRC) != 0) {
      int expected = (int) (headerCrc.getValue() & 0xFFFF);
      int actual = requiredByte() | (requiredByte() << 8);
      if (expected != actual) {
        throw new IOException("gzip header checksum mismatch");
      }
    }
    inflater.reset();
    crc.reset();
    memberLength = 0;
    inMember = true;
    seenMember = true;
    return true;
  }

  private void readTrailer() throws IOException {
    long expectedCrc = readIntLe();
    long expectedLength = readIntLe();
    if (expectedCrc != crc.getValue()) {
      throw new IOException("gzip CRC-32 mismatch: data is corrupt");
    }
    if (expectedLength != (memberLength & 0xFFFFFFFFL)) {
      throw new IOException("gzip length mismatch: data is corrupt");
    }
  }

  private long readIntLe() throws IOException {
    long v = 0;
    for (int i = 0; i < 4; i++) {
      v |= ((long) requiredByte()) << (8 * i);
    }
    return v;
  }

  private int headerByte() throws IOException {
    int b = requiredByte();
    headerCrc.update(b);
    return b;
  }

  private int requiredByte() throws IOException {
    if (pos == lim && !fill()) {
      throw new EOFException("gzip stream ends inside a header or trailer: truncated");
    }
    return buf[pos++] & 0xFF;
  }

  private boolean fill() throws IOException {
    int n;
    do {
      n = in.read(buf, 0, buf.length);
    } while (n == 0);
    if (n < 0) {
      pos = lim = 0;
      return false;
    }
    pos = 0;
    lim = n;
    return true;
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      inflater.end();
    } finally {
      in.close();
    }
  }
}
