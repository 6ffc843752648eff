package io.backup4j.crypto;

import io.backup4j.api.IntegrityException;
import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Function;
import javax.crypto.AEADBadTagException;
import org.jspecify.annotations.Nullable;

/**
 * Decrypts segment by segment. A segment's plaintext is released only after its tag verified at its index and
 * position (last or not), and {@code -1} is returned only after the last-flagged segment verified and the upstream
 * reported end-of-stream directly after it. Errors are {@link IntegrityException} (damage, truncation, reordering,
 * splicing) or {@link io.backup4j.api.AccessDeniedException} (no or wrong key, from the key resolver).
 */
final class DecryptingInputStream extends InputStream {
  private final InputStream upstream;
  private final Function<StreamHeader, StreamKeys> keys;
  private @Nullable SegmentCipher cipher;
  private byte[] sealed = new byte[0];
  private byte[] plain = new byte[0];
  private int segmentSize;
  private int pos;
  private int limit;
  private long index;
  private int carry = -1;
  private boolean done;
  private boolean closed;
  private @Nullable RuntimeException failure;
  private boolean ioFailed;

  DecryptingInputStream(InputStream upstream, Function<StreamHeader, StreamKeys> keys) {
    this.upstream = Objects.requireNonNull(upstream, "upstream is null");
    this.keys = Objects.requireNonNull(keys, "keys is null");
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (closed) {
      throw new IOException("aes-gcm decoder is closed");
    }
    if (len == 0) {
      return 0;
    }
    while (pos == limit) {
      if (done) {
        return -1;
      }
      nextSegment();
    }
    int n = Math.min(len, limit - pos);
    System.arraycopy(plain, pos, b, off, n);
    pos += n;
    return n;
  }

  @Override
  public int available() {
    return limit - pos;
  }

  private void nextSegment() throws IOException {
    if (failure != null) {
      throw failure; // a failed stream stays failed: no later segment may be released
    }
    if (ioFailed) {
      throw new IOException("aes-gcm decoder: reading the stored stream failed earlier; the stream is unusable");
    }
    try {
      if (cipher == null) {
        start();
      }
      readAndOpen();
    } catch (RuntimeException e) {
      failure = e;
      throw e;
    } catch (IOException e) {
      ioFailed = true; // part of a segment may have been consumed: never resume mid-stream
      throw e;
    }
  }

  private void start() throws IOException {
    StreamHeader header = StreamHeader.read(upstream);
    StreamKeys k = keys.apply(header); // fails fast, before any segment, on a missing or wrong key
    segmentSize = header.segmentSize;
    sealed = new byte[segmentSize + SegmentCipher.TAG_LENGTH];
    plain = new byte[segmentSize];
    cipher = new SegmentCipher(k.segmentKey, header.noncePrefix(), header.bytes(), true);
  }

  private void readAndOpen() throws IOException {
    int n = 0;
    if (carry >= 0) {
      sealed[n++] = (byte) carry;
      carry = -1;
    }
    n += upstream.readNBytes(sealed, n, sealed.length - n);
    boolean last;
    if (n < sealed.length) {
      last = true;
    } else {
      // A full segment is the last one only if nothing follows: look one byte ahead.
      int next = upstream.read();
      last = next < 0;
      carry = next;
    }
    if (n < SegmentCipher.TAG_LENGTH) {
      throw new IntegrityException(index == 0
          ? "aes-gcm stream is truncated: the header is not followed by any segment"
          : "aes-gcm stream is truncated: segment " + index + " is only " + n + " bytes long");
    }
    try {
      limit = Objects.requireNonNull(cipher).decrypt(index, last, sealed, n, plain);
    } catch (AEADBadTagException e) {
      throw new IntegrityException("aes-gcm segment " + index + " (ciphertext offset after header "
          + index * sealed.length + ") failed authentication: the backup was truncated, reordered, spliced from"
          + " another file or altered; no byte of it is released", e);
    } catch (GeneralSecurityException e) {
      throw new IntegrityException("aes-gcm segment " + index + " could not be decrypted", e);
    }
    pos = 0;
    index++;
    if (last) {
      done = true;
    }
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    Arrays.fill(plain, (byte) 0);
    upstream.close();
  }
}
