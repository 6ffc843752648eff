package io.backup4j.compress;

import com.github.luben.zstd.ZstdDecompressCtx;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * A strict decoder of one or more concatenated zstd frames (and skippable frames), as {@code zstd -d} reads them.
 *
 * <p>Written on zstd-jni's streaming context rather than its {@code ZstdInputStream}, which returns end-of-stream
 * when the input stops inside the first bytes of a following frame, and for empty input. Here the input may end only
 * where a frame has been completely decoded, its checksum verified and its output flushed; any other end is a
 * truncation. The window is limited to zstd's default of 2^27 bytes, as in the CLI, which bounds memory.
 */
final class ZstdDecoderInputStream extends InputStream {
  private static final int BUFFER_SIZE = 128 * 1024;

  private final InputStream in;
  private final byte[] one = new byte[1];
  private final ZstdDecompressCtx ctx = new ZstdDecompressCtx();
  // Frees the native context if a restore abandons the stream without closing it.
  private final java.lang.ref.Cleaner.Cleanable cleanable = NativeCleaner.CLEANER.register(this, ctx::close);
  private final byte[] heapIn = new byte[BUFFER_SIZE];
  private final ByteBuffer src = ByteBuffer.allocateDirect(BUFFER_SIZE).limit(0);
  private final ByteBuffer dst = ByteBuffer.allocateDirect(BUFFER_SIZE).limit(0);
  private boolean sawInput;
  private boolean betweenFrames = true;
  private boolean outputMayBePending;
  private boolean eof;
  private boolean closed;

  ZstdDecoderInputStream(InputStream in) {
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
    // Fills as much of b as the input already read yields, and blocks for more input only while nothing is
    // ready: fewer, larger reads through the layers above (each part read this way crosses the verifying and
    // decrypting streams once per call).
    int total = 0;
    while (true) {
      if (dst.hasRemaining()) {
        int n = Math.min(len - total, dst.remaining());
        dst.get(b, off + total, n);
        total += n;
        if (total == len) {
          return total;
        }
      }
      if (eof) {
        return total > 0 ? total : -1;
      }
      if (src.hasRemaining() || outputMayBePending) {
        dst.clear();
        boolean frameDone = ctx.decompressDirectByteBufferStream(dst, src);
        dst.flip();
        // True only when a frame ended, its checksum matched and all its output was flushed.
        betweenFrames = frameDone;
        // A full output buffer may mean zstd holds more output that needs no further input.
        outputMayBePending = !frameDone && dst.limit() == dst.capacity();
        continue;
      }
      if (total > 0) {
        return total;
      }
      if (!fill()) {
        if (!sawInput) {
          throw new EOFException("empty input: not a zstd stream (a truncated part?)");
        }
        if (!betweenFrames) {
          throw new EOFException("zstd stream ends inside a frame: truncated");
        }
        eof = true;
        return -1;
      }
    }
  }

  private boolean fill() throws IOException {
    int n;
    do {
      n = in.read(heapIn, 0, heapIn.length);
    } while (n == 0);
    if (n < 0) {
      return false;
    }
    sawInput = true;
    src.clear();
    src.put(heapIn, 0, n);
    src.flip();
    return true;
  }

  @Override
  public int available() {
    return dst.remaining();
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      cleanable.clean();
    } finally {
      in.close();
    }
  }
}
