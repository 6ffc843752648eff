package io.backup4j.compress;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;

/**
 * The stream {@link CompressionTransform#encode} returns: buffers small writes, makes {@code close()} idempotent, and
 * closes the downstream stream even when the encoder fails to write its trailer.
 */
final class EncodingOutputStream extends OutputStream {
  private final OutputStream encoder;
  private final CloseOnceOutputStream downstream;
  private final byte[] buffer = new byte[CompressionTransform.BUFFER_SIZE];
  private int count;
  private boolean closed;

  EncodingOutputStream(OutputStream encoder, CloseOnceOutputStream downstream) {
    this.encoder = encoder;
    this.downstream = downstream;
  }

  @Override
  public void write(int b) throws IOException {
    ensureOpen();
    if (count == buffer.length) {
      drain();
    }
    buffer[count++] = (byte) b;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    ensureOpen();
    if (len >= buffer.length) {
      // Large writes go straight through: no copy.
      drain();
      encoder.write(b, off, len);
      return;
    }
    if (len > buffer.length - count) {
      drain();
    }
    System.arraycopy(b, off, buffer, count, len);
    count += len;
  }

  /**
   * Pushes buffered bytes into the encoder and flushes it. Compressors end a block on flush, which costs ratio, so
   * the engine should flush only when it must.
   */
  @Override
  public void flush() throws IOException {
    ensureOpen();
    drain();
    encoder.flush();
  }

  private void drain() throws IOException {
    if (count > 0) {
      encoder.write(buffer, 0, count);
      count = 0;
    }
  }

  private void ensureOpen() throws IOException {
    if (closed) {
      throw new IOException("stream closed");
    }
  }

  /** Finishes the compressed stream (writes its trailer) and closes the downstream stream; idempotent. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    Throwable failure = null;
    try {
      drain();
    } catch (IOException | RuntimeException e) {
      failure = e;
    }
    try {
      encoder.close();
    } catch (IOException | RuntimeException e) {
      if (failure == null) {
        failure = e;
      } else {
        failure.addSuppressed(e);
      }
    }
    try {
      downstream.close();
    } catch (IOException | RuntimeException e) {
      if (failure == null) {
        failure = e;
      } else {
        failure.addSuppressed(e);
      }
    }
    if (failure instanceof IOException io) {
      throw io;
    } else if (failure instanceof RuntimeException re) {
      throw re;
    }
  }
}
