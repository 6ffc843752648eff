package io.backup4j.core.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Hands bytes to a worker thread that writes them to {@code downstream}, so the stages of a part's pipeline
 * (reading the source, compressing, encrypting, hashing and storing) run concurrently.
 *
 * <p>Memory is bounded: {@code buffers} buffers of {@code bufferSize} bytes circulate between the writer and the
 * worker; a writer that gets ahead blocks (back-pressure). A failure of the worker is rethrown to the writer on its
 * next call. {@link #close()} drains the queue, closes {@code downstream} on the worker and rethrows any failure;
 * {@link #abort()} stops the worker without closing {@code downstream}.
 */
final class PipeOutputStream extends OutputStream {
  private static final byte[] EOF = new byte[0];

  private final OutputStream downstream;
  private final BlockingQueue<byte[]> full;
  private final BlockingQueue<byte[]> free;
  private final int bufferSize;
  private final Thread worker;
  private byte[] current;
  private int used;
  private volatile Throwable failure;
  private volatile boolean aborted;
  private boolean closed;

  PipeOutputStream(OutputStream downstream, int bufferSize, int buffers, String name) {
    this.downstream = downstream;
    this.bufferSize = bufferSize;
    this.full = new ArrayBlockingQueue<>(buffers + 1);
    this.free = new ArrayBlockingQueue<>(buffers);
    for (int i = 1; i < buffers; i++) {
      free.add(new byte[bufferSize]);
    }
    this.current = new byte[bufferSize];
    this.worker = new Thread(this::drain, name);
    this.worker.setDaemon(true);
    this.worker.start();
  }

  private void drain() {
    try {
      while (true) {
        byte[] b = full.take();
        if (b == EOF) {
          downstream.close();
          return;
        }
        // a buffer carries its length in a small header-free way: full buffers are whole, the last one is copied
        downstream.write(b, 0, b.length);
        if (b.length == bufferSize) {
          free.offer(b);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      if (!aborted) {
        failure = new InterruptedIOException("pipeline stage interrupted");
      }
    } catch (Throwable t) {
      failure = t;
      full.clear();
      // unblock a writer waiting for a free buffer
      free.offer(new byte[bufferSize]);
    }
  }

  private void checkFailure() throws IOException {
    Throwable f = failure;
    if (f != null) {
      if (f instanceof IOException io) {
        throw new IOException(io.getMessage(), io);
      }
      if (f instanceof RuntimeException re) {
        throw re;
      }
      if (f instanceof Error err) {
        throw err;
      }
      throw new IOException(f);
    }
  }

  @Override
  public void write(int b) throws IOException {
    if (used == bufferSize) {
      handOff();
    }
    current[used++] = (byte) b;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      if (used == bufferSize) {
        handOff();
      }
      int n = Math.min(len, bufferSize - used);
      System.arraycopy(b, off, current, used, n);
      used += n;
      off += n;
      len -= n;
    }
  }

  private void handOff() throws IOException {
    checkFailure();
    byte[] out = used == bufferSize ? current : java.util.Arrays.copyOf(current, used);
    try {
      while (!full.offer(out, 100, TimeUnit.MILLISECONDS)) {
        checkFailure();
      }
      if (used == bufferSize) {
        byte[] next;
        while ((next = free.poll(100, TimeUnit.MILLISECONDS)) == null) {
          checkFailure();
        }
        current = next;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for the next pipeline stage");
    }
    used = 0;
    checkFailure();
  }

  /** Hands over what is buffered; does not wait for the worker (durability comes from commit). */
  @Override
  public void flush() throws IOException {
    if (used > 0) {
      handOff();
    }
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      checkFailure();
      return;
    }
    closed = true;
    flush();
    try {
      while (!full.offer(EOF, 100, TimeUnit.MILLISECONDS)) {
        checkFailure();
      }
      worker.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      abort();
      throw new InterruptedIOException("interrupted while finishing the pipeline");
    }
    checkFailure();
  }

  /** Stops the worker and waits for it; {@code downstream} is not closed. Idempotent. */
  void abort() {
    aborted = true;
    closed = true;
    full.clear();
    worker.interrupt();
    try {
      worker.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
