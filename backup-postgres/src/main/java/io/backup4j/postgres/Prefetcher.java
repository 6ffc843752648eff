package io.backup4j.postgres;

import io.backup4j.api.BackupException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Reads a stream on its own thread into a small bounded queue of chunks, so decoding and verifying a part (decrypt,
 * decompress, SHA-256) overlaps with the consumer writing into a child's stdin instead of alternating with it. Memory
 * is bounded by {@code depth} chunks. An exception of the reader, including the {@link io.backup4j.api.IntegrityException}
 * a part stream throws instead of returning end-of-stream, is rethrown by {@link #next()} in order, after the
 * chunks read before it.
 *
 * <p>Chunks handed back with {@link #recycle} are filled again instead of fresh arrays: a fresh JVM spent about
 * 0.9 CPU-s of a 581 MB restore zeroing new 128 KiB arrays and faulting in the heap pages under them.
 */
final class Prefetcher implements AutoCloseable {
  private static final byte[] EOF = new byte[0];

  private final BlockingQueue<Object> queue;
  private final BlockingQueue<byte[]> free;
  private final int chunkSize;
  private final Thread thread;
  private volatile boolean closed;

  Prefetcher(InputStream in, int chunkSize, int depth, String name) {
    this.queue = new ArrayBlockingQueue<>(depth);
    // the queue, the reader's chunk and the two the consumer may hold
    this.free = new ArrayBlockingQueue<>(depth + 3);
    this.chunkSize = chunkSize;
    this.thread = new Thread(() -> {
      try {
        while (!closed) {
          byte[] buf = free.poll();
          if (buf == null) {
            buf = new byte[chunkSize];
          }
          int n = in.readNBytes(buf, 0, chunkSize);
          if (n == 0) {
            put(EOF);
            return;
          }
          put(n == chunkSize ? buf : Arrays.copyOf(buf, n));
          if (n < chunkSize) {
            // readNBytes returns short only once read() returned -1, i.e. after the part stream verified its end
            put(EOF);
            return;
          }
        }
      } catch (IOException | RuntimeException e) {
        try {
          put(e);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, name);
    thread.setDaemon(true);
    thread.start();
  }

  private void put(Object o) throws InterruptedException {
    while (!closed) {
      if (queue.offer(o, 100, TimeUnit.MILLISECONDS)) {
        return;
      }
    }
  }

  /** The next chunk, or {@code null} at the verified end of the stream. */
  byte @Nullable [] next() throws IOException {
    Object o;
    try {
      o = queue.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while reading the backup");
    }
    if (o == EOF) {
      return null;
    }
    if (o instanceof IOException e) {
      throw e;
    }
    if (o instanceof BackupException e) {
      throw e;
    }
    if (o instanceof RuntimeException e) {
      throw e;
    }
    return (byte[]) o;
  }

  /**
   * Hands a chunk returned by {@link #next()} back for reuse; the caller must not touch it afterwards. Optional: a
   * chunk not handed back is left to the garbage collector.
   */
  void recycle(byte[] chunk) {
    if (chunk.length == chunkSize) {
      free.offer(chunk); // a full pool drops it
    }
  }

  /**
   * The chunks as one stream, each handed back for reuse once read: for a consumer that reads rather than writes
   * whole chunks. Closing it does not close the prefetcher.
   */
  InputStream asStream() {
    return new BulkInputStream() {
      private byte @Nullable [] chunk = new byte[0];
      private int pos;

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
          return 0;
        }
        while (chunk != null && pos == chunk.length) {
          recycle(chunk);
          chunk = next();
          pos = 0;
        }
        if (chunk == null) {
          return -1;
        }
        int n = Math.min(len, chunk.length - pos);
        System.arraycopy(chunk, pos, b, off, n);
        pos += n;
        return n;
      }
    };
  }

  /**
   * Stops the reader and waits for it (at most 30 s), so that the stream it reads can be closed next without racing
   * a read in flight (a native decoder refuses to close while in use).
   */
  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    queue.clear();
    try {
      thread.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
