package io.backup4j.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PipeOutputStreamTest {
  @Test
  void bytesArriveInOrderWhateverTheWriteSizes() throws IOException {
    byte[] data = new byte[3_000_001];
    new Random(1).nextBytes(data);
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    PipeOutputStream pipe = new PipeOutputStream(sink, 4096, 3, "test");
    Random r = new Random(2);
    int off = 0;
    while (off < data.length) {
      if (r.nextInt(10) == 0) {
        pipe.write(data[off++]);
        continue;
      }
      int n = Math.min(data.length - off, r.nextInt(20_000));
      pipe.write(data, off, n);
      off += n;
      if (r.nextInt(50) == 0) {
        pipe.flush();
      }
    }
    pipe.close();
    pipe.close();
    assertThat(sink.toByteArray()).isEqualTo(data);
  }

  @Test
  void downstreamFailureReachesTheWriter() {
    OutputStream failing = new OutputStream() {
      long n;

      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        n += len;
        if (n > 100_000) {
          throw new IOException("disk full");
        }
      }
    };
    PipeOutputStream pipe = new PipeOutputStream(failing, 4096, 2, "test");
    assertThatThrownBy(() -> {
      for (int i = 0; i < 1000; i++) {
        pipe.write(new byte[4096]);
      }
      pipe.close();
    }).isInstanceOf(IOException.class).hasMessageContaining("disk full");
  }

  @Test
  void abortStopsTheWorkerWithoutClosingDownstream() throws IOException {
    boolean[] closed = {false};
    OutputStream slow = new OutputStream() {
      @Override
      public void write(int b) {}

      @Override
      public void write(byte[] b, int off, int len) {
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }

      @Override
      public void close() {
        closed[0] = true;
      }
    };
    PipeOutputStream pipe = new PipeOutputStream(slow, 1024, 2, "test");
    pipe.write(new byte[10_000]);
    pipe.abort();
    assertThat(closed[0]).isFalse();
    assertThatThrownBy(() -> pipe.write(new byte[10_000])).isInstanceOf(IOException.class).hasMessageContaining("aborted");
  }

  @Test
  void rateLimiterHoldsTheAverageRate() throws IOException {
    RateLimiter limiter = new RateLimiter(1_000_000);
    long start = System.nanoTime();
    OutputStream out = limiter.limit(OutputStream.nullOutputStream());
    for (int i = 0; i < 30; i++) {
      out.write(new byte[100_000]); // 3 MB at 1 MB/s with a 1 s burst: at least 2 s
    }
    assertThat((System.nanoTime() - start) / 1e9).isGreaterThanOrEqualTo(1.9);
  }

  @Test
  void aThrottledWriteEndsWhenTheRunIsCancelled() throws Exception {
    io.backup4j.api.Cancellation cancellation = new io.backup4j.api.Cancellation();
    RateLimiter limiter = new RateLimiter(1_000, cancellation);
    OutputStream out = limiter.limit(OutputStream.nullOutputStream());
    out.write(new byte[1_000]); // the burst
    java.util.concurrent.CompletableFuture<Throwable> failure = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
      try {
        out.write(new byte[3_600_000]); // an hour's worth at 1 kB/s
        return null;
      } catch (Throwable t) {
        return t;
      }
    });
    cancellation.cancel();
    // without the cancellation check this write would sleep an hour; the bound only guards against a hang
    assertThat(failure.get(5, java.util.concurrent.TimeUnit.MINUTES))
        .isInstanceOf(io.backup4j.api.CancelledException.class);
  }
}
