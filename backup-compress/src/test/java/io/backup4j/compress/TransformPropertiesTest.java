package io.backup4j.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.IntegrityException;
import io.backup4j.api.Transform;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** Properties over arbitrary content and arbitrary write/read chunking (jqwik shrinks a failure to a minimal case). */
class TransformPropertiesTest {
  @Property(tries = 300)
  void decodeInvertsEncodeForAnyContentAndChunking(
      @ForAll("formats") String format,
      @ForAll("contents") byte[] data,
      @ForAll @IntRange(min = 1, max = 70_000) int writeChunk,
      @ForAll @IntRange(min = 1, max = 70_000) int readChunk) throws IOException {
    Transform t = TestSupport.transform(format);
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    try (OutputStream out = t.encode(sink)) {
      for (int off = 0; off < data.length; off += writeChunk) {
        out.write(data, off, Math.min(writeChunk, data.length - off));
      }
    }

    ByteArrayOutputStream decoded = new ByteArrayOutputStream();
    try (InputStream in = t.decode(TestSupport.shaped(new ByteArrayInputStream(sink.toByteArray()),
        TestSupport.Shape.RANDOM_CHUNKS, readChunk))) {
      byte[] buf = new byte[readChunk];
      int n;
      while ((n = in.read(buf)) >= 0) {
        decoded.write(buf, 0, n);
      }
    }
    assertThat(decoded.toByteArray()).isEqualTo(data);
  }

  @Property(tries = 300)
  void everyProperPrefixOfAStreamFailsWithAnIntegrityError(
      @ForAll("framedFormats") String format,
      @ForAll("contents") byte[] data,
      @ForAll @IntRange(min = 0, max = 1_000_000) int cutSeed) throws IOException {
    Transform t = TestSupport.transform(format);
    byte[] encoded = TestSupport.encode(t, data);
    int cut = cutSeed % encoded.length; // 0 .. length-1: always a proper prefix

    byte[] prefix = Arrays.copyOf(encoded, cut);

    assertThatThrownBy(() -> TestSupport.decode(t, prefix))
        .isInstanceOf(IOException.class)
        .hasCauseInstanceOf(IntegrityException.class);
  }

  @Provide
  Arbitrary<String> formats() {
    // xz and bzip2 are slow and gain nothing from hundreds of tries; the example tests cover them.
    return Arbitraries.of(List.of("zstd", "gzip", "lz4", "none"));
  }

  @Provide
  Arbitrary<String> framedFormats() {
    return Arbitraries.of(List.of("zstd", "gzip", "lz4"));
  }

  /** Random bytes, runs of one byte, and repetitive text, from empty to a few hundred KiB. */
  @Provide
  Arbitrary<byte[]> contents() {
    Arbitrary<byte[]> randomBytes = Arbitraries.bytes().array(byte[].class).ofMinSize(0).ofMaxSize(200_000);
    Arbitrary<byte[]> runs = Combinators.combine(Arbitraries.bytes(), Arbitraries.integers().between(0, 300_000))
        .as((b, n) -> {
          byte[] a = new byte[n];
          Arrays.fill(a, b);
          return a;
        });
    Arbitrary<byte[]> text = Combinators.combine(Arbitraries.integers().between(0, 300_000),
            Arbitraries.longs())
        .as((n, seed) -> TestSupport.structured(n, seed));
    return Arbitraries.oneOf(randomBytes, runs, text);
  }
}
