package io.backup4j.compress;

import com.github.luben.zstd.EndDirective;
import com.github.luben.zstd.ZstdCompressCtx;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;

/**
 * Writes one zstd frame (with content checksum) through zstd-jni's streaming context.
 *
 * <p>Used instead of zstd-jni's {@code ZstdOutputStream} for lifecycle control: the native context (and its worker
 * threads) is freed on {@link #close()}, and by a {@link Cleaner} if the stream is abandoned without being closed;
 * that cleanup never writes to the downstream stream, which may already be aborted.
 */
final class ZstdEncoderOutputStream extends OutputStream {
  private static final int BUFFER_SIZE = 128 * 1024;

  private final OutputStream out;
  private final ZstdCompressCtx ctx;
  private final Cleaner.Cleanable cleanable;
  private final ByteBuffer src = ByteBuffer.allocateDirect(BUFFER_SIZE);
  private final ByteBuffer dst = ByteBuffer.allocateDirect(BUFFER_SIZE + 1024);
  private final byte[] heapOut = new byte[BUFFER_SIZE + 1024];
  private final byte[] one = new byte[1];
  private boolean closed;

  ZstdEncoderOutputStream(OutputStream out, int level, int windowLog, int workers) {
    this.out = out;
    ZstdCompressCtx c = new ZstdCompressCtx();
    this.cleanable = NativeCleaner.CLEANER.register(this, c::close);
    try {
      c.setLevel(level);
      // The CLI writes a content checksum by default too; it lets `zstd -d` and our decoder detect corruption.
      c.setChecksum(true);
      if (workers > 0) {
        c.setWorkers(workers);
      }
      if (windowLog > 0) {
        c.setLong(windowLog);
      }
    } catch (RuntimeException e) {
      cleanable.clean();
      throw e;
    }
    this.ctx = c;
  }

  @Override
  public void write(int b) throws IOException {
    one[0] = (byte) b;
    write(one, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    ensureOpen();
    while (len > 0) {
      int n = Math.min(len, src.remaining());
      src.put(b, off, n);
      off += n;
      len -= n;
      if (!src.hasRemaining()) {
        compress(EndDirective.CONTINUE);
      }
    }
  }

  /** Ends the current zstd block so everything written so far can be decoded; costs a little ratio. */
  @Override
  public void flush() throws IOException {
    ensureOpen();
    compress(EndDirective.FLUSH);
    out.flush();
  }

  /**
   * Feeds the staged input to zstd and writes what it produces. CONTINUE returns once the input is consumed; FLUSH
   * and END once zstd reports nothing left to write.
   */
  private void compress(EndDirective op) throws IOException {
    src.flip();
    try {
      while (true) {
        dst.clear();
        boolean drained = ctx.compressDirectByteBufferStream(dst, src, op);
        dst.flip();
        int n = dst.remaining();
        if (n > 0) {
          dst.get(heapOut, 0, n);
          out.write(heapOut, 0, n);
        }
        if (op == EndDirective.CONTINUE ? !src.hasRemaining() : drained && !src.hasRemaining()) {
          return;
        }
      }
    } finally {
      src.compact();
    }
  }

  private void ensureOpen() throws IOException {
    if (closed) {
      throw new IOException("stream closed");
    }
  }

  /** Writes the end of the frame, frees the native context and closes the downstream stream; idempotent. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      compress(EndDirective.END);
    } finally {
      cleanable.clean();
      out.close();
    }
  }
}
