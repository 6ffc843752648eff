package io.backup4j.compress;

import io.backup4j.api.BackupException;
import io.backup4j.api.IntegrityException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The stream {@link CompressionTransform#decode} returns.
 *
 * <p>It opens the format's decoder lazily (decoders read a header in their constructor), makes {@code close()}
 * idempotent, and sorts failures: an {@link IOException} thrown by the upstream stream passes through unchanged (the
 * storage failed, a retry may help), while anything the decoder itself throws means the data is damaged and becomes
 * an {@link IOException} caused by an {@link IntegrityException}.
 */
final class DecodingInputStream extends InputStream {
  private final byte[] one = new byte[1];
  /** Opens a decoder over a stream. */
  @FunctionalInterface
  interface Opener {
    InputStream open(InputStream in) throws IOException;
  }

  private final String format;
  private final TrackingInputStream upstream;
  private final Opener opener;
  private @Nullable InputStream decoder;
  private boolean closed;
  private boolean eof;

  DecodingInputStream(String format, InputStream upstream, Opener opener) {
    this.format = format;
    this.upstream = new TrackingInputStream(upstream);
    this.opener = opener;
  }

  @Override
  public int read() throws IOException {
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (closed) {
      throw new IOException("stream closed");
    }
    if (len == 0) {
      return 0;
    }
    if (eof) {
      return -1;
    }
    try {
      InputStream d = decoder;
      if (d == null) {
        d = opener.open(upstream);
        decoder = d;
      }
      int n;
      do {
        n = d.read(b, off, len);
      } while (n == 0);
      if (n < 0) {
        eof = true;
      }
      return n;
    } catch (IOException e) {
      throw translate(e);
    } catch (BackupException e) {
      throw e;
    } catch (RuntimeException e) {
      // Some decoders (bzip2 in particular) signal corrupt input with unchecked exceptions.
      throw translate(e);
    }
  }

  private IOException translate(Exception e) {
    if (upstream.failure != null && causedBy(e, upstream.failure)) {
      return e instanceof IOException io ? io : new IOException(e);
    }
    String message = format + " data is corrupt or truncated (" + e.getMessage()
        + "); the stored part is damaged and must not be used";
    return new IOException(message, new IntegrityException(message, e));
  }

  private static boolean causedBy(Throwable e, Throwable cause) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t == cause) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  /** Bytes of decoded data that can be read without blocking, as the decoder reports it; never negative. */
  @Override
  public int available() throws IOException {
    InputStream d = decoder;
    if (closed || eof || d == null) {
      return 0;
    }
    try {
      return Math.max(0, d.available());
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /** Closes the decoder and the upstream stream; idempotent. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    InputStream d = decoder;
    try {
      if (d != null) {
        d.close();
      }
    } finally {
      upstream.close();
    }
  }

  /** Remembers the last exception the upstream stream threw, so it can be told apart from decoder errors. */
  private static final class TrackingInputStream extends InputStream {
    private final InputStream in;
    private @Nullable Throwable failure;
    private boolean closed;

    TrackingInputStream(InputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      try {
        return in.read();
      } catch (IOException | RuntimeException e) {
        failure = e;
        throw e;
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return in.read(b, off, len);
      } catch (IOException | RuntimeException e) {
        failure = e;
        throw e;
      }
    }

    @Override
    public long skip(long n) throws IOException {
      try {
        return in.skip(n);
      } catch (IOException | RuntimeException e) {
        failure = e;
        throw e;
      }
    }

    @Override
    public int available() throws IOException {
      try {
        return in.available();
      } catch (IOException | RuntimeException e) {
        failure = e;
        throw e;
      }
    }

    @Override
    public void close() throws IOException {
      if (!closed) {
        closed = true;
        in.close();
      }
    }
  }
}
