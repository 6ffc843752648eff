package io.backup4j.crypto;

import java.io.IOException;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Objects;

/**
 * Encrypts into segments. A full segment is only sealed as "not last" once a further byte arrives, so the final
 * segment (flagged last) always exists, holding 1..S bytes, or 0 bytes for an empty stream.
 */
final class EncryptingOutputStream extends OutputStream {
  private final OutputStream downstream;
  private final SegmentCipher cipher;
  private final byte[] plain;
  private final byte[] sealed;
  private int filled;
  private long index;
  private boolean closed;
  private boolean failed;

  EncryptingOutputStream(OutputStream downstream, StreamHeader header, StreamKeys keys) throws IOException {
    this.downstream = Objects.requireNonNull(downstream, "downstream is null");
    this.cipher = new SegmentCipher(keys.segmentKey, header.noncePrefix(), header.bytes(), false);
    this.plain = new byte[header.segmentSize];
    this.sealed = new byte[header.segmentSize + SegmentCipher.TAG_LENGTH];
    downstream.write(header.bytes());
  }

  @Override
  public void write(int b) throws IOException {
    ensureOpen();
    if (filled == plain.length) {
      seal(false);
    }
    plain[filled++] = (byte) b;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    ensureOpen();
    while (len > 0) {
      if (filled == plain.length) {
        seal(false);
      }
      if (filled == 0 && len > plain.length) {
        // a whole segment with more bytes behind it: seal it straight from the caller's array, saving a copy
        seal(b, off, plain.length, false);
        off += plain.length;
        len -= plain.length;
        continue;
      }
      int n = Math.min(len, plain.length - filled);
      System.arraycopy(b, off, plain, filled, n);
      filled += n;
      off += n;
      len -= n;
    }
  }

  private void seal(boolean last) throws IOException {
    seal(plain, 0, filled, last);
  }

  private void seal(byte[] from, int off, int len, boolean last) throws IOException {
    try {
      int n = cipher.encrypt(index, last, from, off, len, sealed);
      downstream.write(sealed, 0, n);
    } catch (GeneralSecurityException e) {
      failed = true;
      throw new IOException("aes-gcm encryption of segment " + index + " failed", e);
    } catch (IOException | RuntimeException e) {
      failed = true;
      throw e;
    }
    index++;
    filled = 0;
  }

  private void ensureOpen() throws IOException {
    if (closed) {
      throw new IOException("aes-gcm encoder is closed");
    }
    if (failed) {
      throw new IOException("aes-gcm encoder failed earlier; the stream is unusable");
    }
  }

  /** Flushes what is already sealed; a partial segment stays buffered (sealing it early would waste a tag). */
  @Override
  public void flush() throws IOException {
    downstream.flush();
  }

  /**
   * Seals the final segment and closes the downstream. After a failed write, the final segment is not written, so
   * the truncated output can never authenticate as complete.
   */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try (downstream) {
      if (!failed) {
        seal(true);
      }
    } finally {
      Arrays.fill(plain, (byte) 0);
    }
  }
}
