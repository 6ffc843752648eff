package io.backup4j.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PrefetcherTest {
  @Test
  void recycledChunksNeverOverwriteDataTheConsumerHasNotTakenYet() throws IOException {
    byte[] data = new byte[3 * 1024 * 1024 + 12_345];
    new Random(7).nextBytes(data);
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    try (Prefetcher p = new Prefetcher(new ByteArrayInputStream(data), 4096, 4, "test-prefetch")) {
      // the consumer holds one chunk back, as the restore does, and hands each back once written
      byte[] held = p.next();
      int recycled = 0;
      while (held != null) {
        byte[] next = p.next();
        got.write(held);
        p.recycle(held);
        recycled++;
        held = next;
      }
      assertThat(recycled).isGreaterThan(700);
    }
    assertThat(got.toByteArray()).isEqualTo(data);
  }

  @Test
  void aReadErrorComesAfterTheChunksReadBeforeIt() throws IOException {
    InputStream failing = new SequenceInputStream(new ByteArrayInputStream(new byte[10_000]), new InputStream() {
      @Override
      public int read() throws IOException {
        throw new IOException("damaged (test)");
      }
    });
    try (Prefetcher p = new Prefetcher(failing, 4096, 4, "test-prefetch")) {
      assertThat(p.next()).hasSize(4096);
      assertThat(p.next()).hasSize(4096);
      assertThatThrownBy(p::next).isInstanceOf(IOException.class).hasMessageContaining("damaged (test)");
    }
  }
}
