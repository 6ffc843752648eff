package io.backup4j.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A one-producer, one-consumer byte queue that never makes the producer wait for a slow consumer until a bounded
 * spool file is full.
 *
 * <p>Why: while a Redis master sends the RDB payload it buffers what the replica has not read yet, and drops the
 * link once that exceeds {@code client-output-buffer-limit replica} (256 MB hard / 64 MB for 60 s by default). A
 * snapshot must therefore read the socket at network speed even when the sink (compression, encryption, upload) is
 * slower. The producer (the socket reader) puts chunks in memory up to {@code memoryLimit} bytes, then appends them
 * to a private temporary file up to {@code fileLimit} bytes; the consumer reads them back in order. The file is
 * reset to empty whenever the consumer has caught up, so it only grows by the backlog. Only when both are full
 * does the producer wait (back-pressure), and the master may then drop the link — the error says which limit to
 * raise.
 */
final class Spool implements AutoCloseable {
  private sealed interface Chunk permits MemoryChunk, FileChunk {}

  private static final class MemoryChunk implements Chunk {
    final byte[] data;
    int position;

    MemoryChunk(byte[] data) {
      this.data = data;
    }
  }

  private static final class FileChunk implements Chunk {
    final long offset;
    final int length;
    int position;

    FileChunk(long offset, int length) {
      this.offset = offset;
      this.length = length;
    }
  }

  private final long memoryLimit;
  private final long fileLimit;
  private final Supplier<Path> directory;
  private final Deque<Chunk> queue = new ArrayDeque<>();
  private long memoryBytes;
  private long fileWritePosition;
  private long fileOutstanding;
  private long maxFileBytes;
  private boolean finished;
  private boolean closed;
  private @Nullable RuntimeException failure;
  private @Nullable FileChannel file;
  private @Nullable Path filePath;

  /**
   * @param memoryLimit bytes held in memory before spilling to the file
   * @param fileLimit bytes the spool file may hold; 0 disables spilling
   * @param directory where to create the spool file, called at most once, on the first spill
   */
  Spool(long memoryLimit, long fileLimit, Supplier<Path> directory) {
    this.memoryLimit = memoryLimit;
    this.fileLimit = fileLimit;
    this.directory = directory;
  }

  /** Adds bytes (copied). Waits only while memory and file are both full. */
  void write(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return;
    }
    long fileOffset;
    synchronized (this) {
      while (true) {
        if (closed) {
          throw new IOException("the snapshot consumer stopped");
        }
        if (memoryBytes + len <= memoryLimit || (memoryBytes == 0 && fileOutstanding == 0)) {
          byte[] copy = new byte[len];
          System.arraycopy(b, off, copy, 0, len);
          queue.addLast(new MemoryChunk(copy));
          memoryBytes += len;
          notifyAll();
          return;
        }
        if (fileOutstanding == 0) {
          fileWritePosition = 0; // the consumer caught up with the file: reuse it from the start
        }
        if (fileWritePosition + len <= fileLimit) {
          fileOffset = fileWritePosition;
          fileWritePosition += len;
          fileOutstanding += len;
          maxFileBytes = Math.max(maxFileBytes, fileWritePosition);
          break;
        }
        try {
          wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while the spool was full");
        }
      }
    }
    // Only this (producer) thread writes, and to a region the consumer cannot reach before it is queued below.
    FileChannel ch = fileChannel();
    ByteBuffer buf = ByteBuffer.wrap(b, off, len);
    long pos = fileOffset;
    while (buf.hasRemaining()) {
      pos += ch.write(buf, pos);
    }
    synchronized (this) {
      queue.addLast(new FileChunk(fileOffset, len));
      notifyAll();
    }
  }

  private FileChannel fileChannel() throws IOException {
    FileChannel ch;
    synchronized (this) {
      ch = file;
    }
    if (ch == null) {
      Path p = Files.createTempFile(directory.get(), "redis-spool-", ".rdb");
      ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
      synchronized (this) {
        filePath = p;
        file = ch;
        if (closed) {
          closeFile();
          throw new IOException("the snapshot consumer stopped");
        }
      }
    }
    return ch;
  }

  /** Marks the end of the data: the consumer sees end-of-stream after the queued bytes. */
  synchronized void finish() {
    finished = true;
    notifyAll();
  }

  /** Fails the stream: the consumer's next read throws {@code error} instead of returning more data or EOF. */
  synchronized void fail(RuntimeException error) {
    if (failure == null) {
      failure = error;
    }
    notifyAll();
  }

  /** The most bytes the spool file held at once. */
  synchronized long maxFileBytes() {
    return maxFileBytes;
  }

  /** The consumer's side. */
  InputStream inputStream() {
    return new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return take(b, off, len);
      }

      @Override
      public void close() {
        Spool.this.close();
      }
    };
  }

  private int take(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    Chunk head;
    synchronized (this) {
      while (true) {
        if (failure != null) {
          throw failure;
        }
        if (closed) {
          throw new IOException("spool closed");
        }
        head = queue.peekFirst();
        if (head != null) {
          break;
        }
        if (finished) {
          return -1;
        }
        try {
          wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while waiting for snapshot data");
        }
      }
    }
    int n;
    if (head instanceof MemoryChunk m) {
      n = Math.min(len, m.data.length - m.position);
      System.arraycopy(m.data, m.position, b, off, n);
      m.position += n;
      synchronized (this) {
        if (m.position == m.data.length) {
          queue.removeFirst();
          memoryBytes -= m.data.length;
          notifyAll();
        }
      }
    } else {
      FileChunk f = (FileChunk) head;
      n = Math.min(len, f.length - f.position);
      FileChannel ch;
      synchronized (this) {
        ch = file;
      }
      if (ch == null) {
        throw new IOException("spool file vanished");
      }
      ByteBuffer buf = ByteBuffer.wrap(b, off, n);
      long pos = f.offset + f.position;
      while (buf.hasRemaining()) {
        int r = ch.read(buf, pos);
        if (r < 0) {
          throw new IOException("spool file is shorter than what was written to it");
        }
        pos += r;
      }
      f.position += n;
      synchronized (this) {
        fileOutstanding -= n;
        if (f.position == f.length) {
          queue.removeFirst();
        }
        notifyAll();
      }
    }
    return n;
  }

  /** Releases memory and deletes the spool file; a producer still writing gets an exception. Idempotent. */
  @Override
  public synchronized void close() {
    closed = true;
    queue.clear();
    memoryBytes = 0;
    closeFile();
    notifyAll();
  }

  private void closeFile() {
    try {
      if (file != null) {
        file.close();
      }
      if (filePath != null) {
        Files.deleteIfExists(filePath);
      }
    } catch (IOException ignored) {
      // the session's temporary directory is deleted as a whole when the backup ends
    }
    file = null;
    filePath = null;
  }
}
