package io.backup4j.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.IntegrityException;
import io.backup4j.api.Transform;
import io.backup4j.api.spi.TransformProvider;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StreamContractTest {
  @Test
  void everyTransformIsFoundThroughServiceLoader() {
    Set<String> names = new TreeSet<>();
    for (TransformProvider p : ServiceLoader.load(TransformProvider.class)) {
      if (!p.getClass().getPackageName().equals("io.backup4j.compress")) {
        continue; // other modules' transforms on the test class path (aes-gcm has secret options)
      }
      names.add(p.name());
      assertThat(p.description()).startsWith(p.name());
      assertThat(p.sensitiveOptions()).isEmpty();
    }

    assertThat(names).containsAll(TestSupport.FORMATS);
  }

  @ParameterizedTest
  @ValueSource(strings = {"zstd", "gzip", "lz4", "xz", "bzip2", "none"})
  void closingTheEncoderTwiceFinishesAndClosesDownstreamOnce(String format) throws Exception {
    Transform t = TestSupport.transform(format);
    AtomicInteger closes = new AtomicInteger();
    ByteArrayOutputStream sink = new ByteArrayOutputStream() {
      @Override
      public void close() {
        closes.incrementAndGet();
      }
    };

    OutputStream out = t.encode(sink);
    out.write(TestSupport.structured(1000, 1));
    out.close();
    int length = sink.size();
    out.close();

    assertThat(closes).hasValue(1);
    assertThat(sink.size()).isEqualTo(length);
    assertThatThrownBy(() -> out.write(1)).isInstanceOf(IOException.class).hasMessageContaining("closed");
    assertThat(TestSupport.decode(t, sink.toByteArray())).isEqualTo(TestSupport.structured(1000, 1));
  }

  @ParameterizedTest
  @ValueSource(strings = {"zstd", "gzip", "lz4", "xz", "bzip2", "none"})
  void closingTheDecoderTwiceClosesUpstreamOnceEvenBeforeReading(String format) throws Exception {
    Transform t = TestSupport.transform(format);
    byte[] encoded = TestSupport.encode(t, TestSupport.random(100, 1));
    for (boolean readFirst : new boolean[] {false, true}) {
      AtomicInteger closes = new AtomicInteger();
      InputStream upstream = new ByteArrayInputStream(encoded) {
        @Override
        public void close() {
          closes.incrementAndGet();
        }
      };

      InputStream in = t.decode(upstream);
      if (readFirst) {
        assertThat(in.read()).isNotNegative();
      }
      in.close();
      in.close();

      assertThat(closes).hasValue(1);
      assertThatThrownBy(in::read).isInstanceOf(IOException.class);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"zstd", "gzip", "lz4", "xz", "bzip2", "none"})
  void aFailureOfTheUpstreamStreamPassesThroughAndIsNotReportedAsCorruption(String format) throws Exception {
    Transform t = TestSupport.transform(format);
    byte[] encoded = TestSupport.encode(t, TestSupport.random(300_000, 1));
    IOException storageFailure = new IOException("connection reset by storage");
    InputStream failing = new FilterInputStream(new ByteArrayInputStream(encoded)) {
      private int served;

      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xFF;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (served > 100_000) {
          throw storageFailure;
        }
        int n = super.read(b, off, Math.min(len, 8192));
        served += Math.max(n, 0);
        return n;
      }
    };

    try (InputStream in = t.decode(failing)) {
      assertThatThrownBy(() -> in.readAllBytes())
          .satisfies(e -> assertThat(causalChain(e)).contains(storageFailure).noneMatch(IntegrityException.class::isInstance));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"zstd", "gzip", "lz4", "xz", "bzip2"})
  void notCompressedInputIsAnIntegrityErrorNamingTheFormat(String format) {
    Transform t = TestSupport.transform(format);

    assertThatThrownBy(() -> TestSupport.decode(t, "PGDMP plain text, not compressed".getBytes()))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith(format + " data is corrupt or truncated")
        .hasCauseInstanceOf(IntegrityException.class);
  }

  @Test
  void encoderFlushProducesADecodablePrefixForStreamingConsumers() throws Exception {
    Transform t = TestSupport.transform("zstd");
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    byte[] data = TestSupport.structured(10_000, 3);
    try (OutputStream out = t.encode(sink)) {
      out.write(data);
      out.flush();
      assertThat(sink.size()).as("flush pushes buffered bytes through the compressor").isPositive();
    }
    assertThat(TestSupport.decode(t, sink.toByteArray())).isEqualTo(data);
  }

  private static java.util.List<Throwable> causalChain(Throwable e) {
    java.util.List<Throwable> chain = new java.util.ArrayList<>();
    for (Throwable c = e; c != null && !chain.contains(c); c = c.getCause()) {
      chain.add(c);
    }
    return chain;
  }
}
