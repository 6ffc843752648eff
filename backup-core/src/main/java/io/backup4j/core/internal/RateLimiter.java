package io.backup4j.core.internal;

import io.backup4j.api.Cancellation;
import io.backup4j.api.CancelledException;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Limits a byte rate shared by all streams it wraps (all parts of one run), so a backup can run during business
 * hours without starving the database or the network. A token bucket of one second's worth of bytes: bursts up to
 * one second, long-run average at most {@code bytesPerSecond}.
 */
public final class RateLimiter {
  /** The longest single sleep: a cancelled run waits at most this long for a throttled write to notice. */
  private static final long SLICE_NANOS = 100_000_000L;
  private final long bytesPerSecond;
  private final Cancellation cancellation;
  private double tokens;
  private long last = System.nanoTime();

  /** A limiter of {@code bytesPerSecond} (must be positive). */
  public RateLimiter(long bytesPerSecond) {
    this(bytesPerSecond, new Cancellation());
  }

  /**
   * A limiter of {@code bytesPerSecond} (must be positive) whose waits end with a {@link CancelledException} soon
   * after {@code cancellation} is cancelled, however long the throttled write would have slept.
   */
  public RateLimiter(long bytesPerSecond, Cancellation cancellation) {
    if (bytesPerSecond <= 0) {
      throw new IllegalArgumentException("bytesPerSecond must be positive");
    }
    this.bytesPerSecond = bytesPerSecond;
    this.cancellation = cancellation;
    this.tokens = bytesPerSecond;
  }

  /** Blocks until {@code n} bytes may pass. */
  public void acquire(long n) throws IOException {
    long waitNanos;
    synchronized (this) {
      long now = System.nanoTime();
      tokens = Math.min(bytesPerSecond, tokens + (now - last) * (bytesPerSecond / 1e9));
      last = now;
      tokens -= n;
      waitNanos = tokens >= 0 ? 0 : (long) (-tokens / bytesPerSecond * 1e9);
    }
    long deadline = System.nanoTime() + waitNanos;
    for (long left = waitNanos; left > 0; left = deadline - System.nanoTime()) {
      cancellation.throwIfCancelled();
      long slice = Math.min(left, SLICE_NANOS);
      try {
        Thread.sleep(slice / 1_000_000, (int) (slice % 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CancelledException("interrupted while throttled");
      }
    }
  }

  /** Wraps an output stream. */
  public OutputStream limit(OutputStream out) {
    return new FilterOutputStream(out) {
      @Override
      public void write(int b) throws IOException {
        acquire(1);
        out.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        acquire(len);
        out.write(b, off, len);
      }

      @Override
      public void close() throws IOException {
        out.close();
      }
    };
  }

  /** Wraps an input stream. */
  public InputStream limit(InputStream in) {
    return new FilterInputStream(in) {
      @Override
      public int read() throws IOException {
        int b = in.read();
        if (b >= 0) {
          acquire(1);
        }
        return b;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0) {
          acquire(n);
        }
        return n;
      }
    };
  }
}
